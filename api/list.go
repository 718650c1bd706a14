package api

// List is the body of a list response: the items and the store revision
// they were read at (ListMeta.ResourceVersion).
type List[T any] struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	// Items are the objects, sorted by namespace and name.
	Items []T `json:"items"`
}

// Lists of each kind.
type (
	NamespaceList  = List[Namespace]
	PodList        = List[Pod]
	NodeList       = List[Node]
	EventList      = List[Event]
	ReplicaSetList = List[ReplicaSet]
	DeploymentList = List[Deployment]
	LeaseList      = List[Lease]
)
