package api

// This file holds authentication.k8s.io/v1: TokenRequest, the body of a
// serviceaccounts/token request, and SelfSubjectReview. Neither is stored.

// TokenRequest asks for a token of a service account
// (authentication.k8s.io/v1).
type TokenRequest struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is what is asked for.
	Spec TokenRequestSpec `json:"spec" protobuf:"bytes,2,opt,name=spec"`
	// Status holds the token issued.
	Status TokenRequestStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// TokenRequestSpec is what a token request asks for.
type TokenRequestSpec struct {
	// Audiences are the token's intended audiences (default: the API
	// server's).
	Audiences []string `json:"audiences" protobuf:"bytes,1,rep,name=audiences"`
	// ExpirationSeconds is the token's lifetime (default one hour, at
	// least ten minutes).
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty" protobuf:"varint,4,opt,name=expirationSeconds"`
	// BoundObjectRef binds the token to a pod or secret: it stops being
	// valid when that object is deleted.
	BoundObjectRef *BoundObjectReference `json:"boundObjectRef,omitempty" protobuf:"bytes,3,opt,name=boundObjectRef"`
}

// TokenRequestStatus is the issued token.
type TokenRequestStatus struct {
	// Token is the token.
	Token string `json:"token" protobuf:"bytes,1,opt,name=token"`
	// ExpirationTimestamp is when the token expires.
	ExpirationTimestamp Time `json:"expirationTimestamp" protobuf:"bytes,2,opt,name=expirationTimestamp"`
}

// BoundObjectReference names the object a token is bound to.
type BoundObjectReference struct {
	// Kind is Pod or Secret.
	Kind string `json:"kind,omitempty" protobuf:"bytes,1,opt,name=kind"`
	// APIVersion is the referent's API version (v1).
	APIVersion string `json:"apiVersion,omitempty" protobuf:"bytes,2,opt,name=aPIVersion"`
	// Name of the referent.
	Name string `json:"name,omitempty" protobuf:"bytes,3,opt,name=name"`
	// UID of the referent; when set, it must be the object's.
	UID string `json:"uid,omitempty" protobuf:"bytes,4,opt,name=uID"`
}

// SelfSubjectReview returns the user the request was authenticated as
// (authentication.k8s.io/v1).
type SelfSubjectReview struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Status is filled in by the server.
	Status SelfSubjectReviewStatus `json:"status,omitempty" protobuf:"bytes,2,opt,name=status"`
}

// SelfSubjectReviewStatus holds the user's attributes.
type SelfSubjectReviewStatus struct {
	// UserInfo is the user.
	UserInfo UserInfo `json:"userInfo,omitempty" protobuf:"bytes,1,opt,name=userInfo"`
}

// UserInfo is an authenticated user.
type UserInfo struct {
	// Username is the user's name.
	Username string `json:"username,omitempty" protobuf:"bytes,1,opt,name=username"`
	// UID is the user's unique id.
	UID string `json:"uid,omitempty" protobuf:"bytes,2,opt,name=uid"`
	// Groups are the user's groups.
	Groups []string `json:"groups,omitempty" protobuf:"bytes,3,rep,name=groups"`
	// Extra holds what else the authenticator knows.
	Extra map[string][]string `json:"extra,omitempty"`
}
