package operator

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// CRD is the Widget kind's CustomResourceDefinition, as the operator
// installs it: a schema with a default and bounds, the status and scale
// subresources, printer columns and a short name.
func CRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets." + Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: Group,
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Kind: "Widget", ListKind: "WidgetList", Plural: "widgets", Singular: "widget",
				ShortNames: []string{"wdg"},
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: Version, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type:     "object",
					Required: []string{"spec"},
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {
							Type:     "object",
							Required: []string{"image"},
							Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"replicas": {Type: "integer", Format: "int32", Minimum: ptr.To(0.0), Maximum: ptr.To(50.0),
									Default: &apiextensionsv1.JSON{Raw: []byte("1")}},
								"image": {Type: "string", MinLength: ptr.To[int64](1)},
							},
						},
						"status": {
							Type: "object",
							Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"deployment":         {Type: "string"},
								"readyReplicas":      {Type: "integer", Format: "int32"},
								"observedGeneration": {Type: "integer", Format: "int64"},
								"conditions": {
									Type:         "array",
									XListType:    ptr.To("map"),
									XListMapKeys: []string{"type"},
									Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
										Type:     "object",
										Required: []string{"type", "status", "lastTransitionTime", "reason", "message"},
										Properties: map[string]apiextensionsv1.JSONSchemaProps{
											"type":               {Type: "string"},
											"status":             {Type: "string", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"True"`)}, {Raw: []byte(`"False"`)}, {Raw: []byte(`"Unknown"`)}}},
											"observedGeneration": {Type: "integer", Format: "int64"},
											"lastTransitionTime": {Type: "string", Format: "date-time"},
											"reason":             {Type: "string"},
											"message":            {Type: "string"},
										},
									}},
								},
							},
						},
					},
				}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{
					Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
					Scale: &apiextensionsv1.CustomResourceSubresourceScale{
						SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.readyReplicas",
					},
				},
				AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{
					{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas"},
					{Name: "Ready", Type: "integer", JSONPath: ".status.readyReplicas"},
					{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
				},
			}},
		},
	}
}

// InstallCRD creates the Widget CRD, or updates it to CRD(), and waits
// until the API server reports it Established (served).
func InstallCRD(ctx context.Context, cfg *rest.Config) error {
	// client-go's generated clientsets send protobuf bodies; minik8s'
	// CustomResourceDefinition type has no protobuf field numbers yet, so
	// a protobuf CRD decodes empty there (422). JSON, until it does.
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType = "application/json"
	cs, err := apiextensions.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds := cs.ApiextensionsV1().CustomResourceDefinitions()
	want := CRD()
	cur, err := crds.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := crds.Create(ctx, want, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create CRD: %w", err)
		}
	case err != nil:
		return fmt.Errorf("get CRD: %w", err)
	default:
		cur.Spec = want.Spec
		if _, err := crds.Update(ctx, cur, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
			return fmt.Errorf("update CRD: %w", err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		crd, err := crds.Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}
