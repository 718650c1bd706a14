package api

// This file holds the storage kinds: core/v1 PersistentVolumeClaim and
// PersistentVolume, storage.k8s.io/v1 StorageClass. minik8s stores and
// validates them; nothing provisions or binds volumes yet.

// PersistentVolumeClaim is a request for storage (core/v1).
type PersistentVolumeClaim struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the storage asked for.
	Spec PersistentVolumeClaimSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the claim's binding.
	Status PersistentVolumeClaimStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// PersistentVolumeClaimSpec describes the storage a claim asks for.
type PersistentVolumeClaimSpec struct {
	// AccessModes: ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod.
	AccessModes []string `json:"accessModes,omitempty" protobuf:"bytes,1,rep,name=accessModes"`
	// Selector narrows the volumes that may bind.
	Selector *LabelSelector `json:"selector,omitempty" protobuf:"bytes,4,opt,name=selector"`
	// Resources holds requests.storage, the size asked for.
	Resources VolumeResourceRequirements `json:"resources,omitempty" protobuf:"bytes,2,opt,name=resources"`
	// VolumeName binds the claim to the volume of that name.
	VolumeName string `json:"volumeName,omitempty" protobuf:"bytes,3,opt,name=volumeName"`
	// StorageClassName is the class of the volume wanted.
	StorageClassName *string `json:"storageClassName,omitempty" protobuf:"bytes,5,opt,name=storageClassName"`
	// VolumeMode: Filesystem (the default) or Block.
	VolumeMode *string `json:"volumeMode,omitempty" protobuf:"bytes,6,opt,name=volumeMode"`
}

// VolumeResourceRequirements are a claim's storage requests and limits.
type VolumeResourceRequirements struct {
	// Limits are the most storage the claim may use.
	Limits ResourceList `json:"limits,omitempty" protobuf:"bytes,1,rep,name=limits"`
	// Requests are the storage the claim needs.
	Requests ResourceList `json:"requests,omitempty" protobuf:"bytes,2,rep,name=requests"`
}

// PersistentVolumeClaimStatus is the observed state of a claim.
type PersistentVolumeClaimStatus struct {
	// Phase: Pending, Bound or Lost.
	Phase string `json:"phase,omitempty" protobuf:"bytes,1,opt,name=phase"`
	// AccessModes the bound volume offers.
	AccessModes []string `json:"accessModes,omitempty" protobuf:"bytes,2,rep,name=accessModes"`
	// Capacity of the bound volume.
	Capacity ResourceList `json:"capacity,omitempty" protobuf:"bytes,3,rep,name=capacity"`
}

// PersistentVolume is a piece of storage in the cluster (core/v1).
type PersistentVolume struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec describes the volume.
	Spec PersistentVolumeSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the volume's phase.
	Status PersistentVolumeStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// PersistentVolumeSpec describes a volume.
type PersistentVolumeSpec struct {
	// Capacity holds storage, the volume's size.
	Capacity ResourceList `json:"capacity,omitempty" protobuf:"bytes,1,rep,name=capacity"`
	// PersistentVolumeSource is where the volume is: exactly one source.
	PersistentVolumeSource `json:",inline" protobuf:"bytes,2,opt,name=persistentVolumeSource"`
	// AccessModes: ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod.
	AccessModes []string `json:"accessModes,omitempty" protobuf:"bytes,3,rep,name=accessModes"`
	// ClaimRef is the claim bound to the volume.
	ClaimRef *ObjectReference `json:"claimRef,omitempty" protobuf:"bytes,4,opt,name=claimRef"`
	// PersistentVolumeReclaimPolicy: Retain (the default), Delete or Recycle.
	PersistentVolumeReclaimPolicy string `json:"persistentVolumeReclaimPolicy,omitempty" protobuf:"bytes,5,opt,name=persistentVolumeReclaimPolicy"`
	// StorageClassName is the volume's class.
	StorageClassName string `json:"storageClassName,omitempty" protobuf:"bytes,6,opt,name=storageClassName"`
	// MountOptions are passed to the mount.
	MountOptions []string `json:"mountOptions,omitempty" protobuf:"bytes,7,opt,name=mountOptions"`
	// VolumeMode: Filesystem (the default) or Block.
	VolumeMode *string `json:"volumeMode,omitempty" protobuf:"bytes,8,opt,name=volumeMode"`
}

// PersistentVolumeSource is the storage behind a volume.
type PersistentVolumeSource struct {
	// HostPath is a directory on the node.
	HostPath *HostPathVolumeSource `json:"hostPath,omitempty" protobuf:"bytes,3,opt,name=hostPath"`
	// Local is a local disk of a node.
	Local *LocalVolumeSource `json:"local,omitempty" protobuf:"bytes,20,opt,name=local"`
}

// LocalVolumeSource is a local disk, directory or partition.
type LocalVolumeSource struct {
	// Path of the volume on the node.
	Path string `json:"path" protobuf:"bytes,1,opt,name=path"`
	// FSType of the volume, when it is a block device.
	FSType *string `json:"fsType,omitempty" protobuf:"bytes,2,opt,name=fsType"`
}

// PersistentVolumeStatus is the observed state of a volume.
type PersistentVolumeStatus struct {
	// Phase: Pending, Available, Bound, Released or Failed.
	Phase string `json:"phase,omitempty" protobuf:"bytes,1,opt,name=phase"`
	// Message says why the volume is in its phase.
	Message string `json:"message,omitempty" protobuf:"bytes,2,opt,name=message"`
	// Reason is a short reason for the phase.
	Reason string `json:"reason,omitempty" protobuf:"bytes,3,opt,name=reason"`
}

// StorageClass describes a class of storage and how volumes of it are
// provisioned (storage.k8s.io/v1).
type StorageClass struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Provisioner names the volume plugin that provisions volumes.
	Provisioner string `json:"provisioner" protobuf:"bytes,2,opt,name=provisioner"`
	// Parameters are the provisioner's.
	Parameters map[string]string `json:"parameters,omitempty" protobuf:"bytes,3,rep,name=parameters"`
	// ReclaimPolicy of the volumes provisioned: Delete (the default) or Retain.
	ReclaimPolicy *string `json:"reclaimPolicy,omitempty" protobuf:"bytes,4,opt,name=reclaimPolicy"`
	// MountOptions of the volumes provisioned.
	MountOptions []string `json:"mountOptions,omitempty" protobuf:"bytes,5,rep,name=mountOptions"`
	// AllowVolumeExpansion lets claims grow.
	AllowVolumeExpansion *bool `json:"allowVolumeExpansion,omitempty" protobuf:"varint,6,opt,name=allowVolumeExpansion"`
	// VolumeBindingMode: Immediate (the default) or WaitForFirstConsumer.
	VolumeBindingMode *string `json:"volumeBindingMode,omitempty" protobuf:"bytes,7,opt,name=volumeBindingMode"`
}
