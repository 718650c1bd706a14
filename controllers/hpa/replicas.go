package hpa

import (
	"errors"
	"fmt"
	"math"

	"github.com/minik8s/minik8s/api"
)

// usage is what a resource metric measured across the target's pods.
type usage struct {
	replicas    int32  // proposed
	utilization *int32 // percent of requests, for Utilization targets
	average     int64  // raw average per pod: millicores or bytes
}

// quantityOf returns q in the unit usage is counted in: millicores for
// cpu, bytes otherwise.
func quantityOf(resource api.ResourceName, q api.Quantity) int64 {
	if resource == api.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

// toQuantity is the inverse of quantityOf.
func toQuantity(resource api.ResourceName, v int64) api.Quantity {
	if resource == api.ResourceCPU {
		return api.NewMilliQuantity(v, api.DecimalSI)
	}
	return api.NewQuantity(v, api.BinarySI)
}

// podRequest sums the pod's containers' requests of resource; an error
// names the first container without one.
func podRequest(p *api.Pod, resource api.ResourceName) (int64, error) {
	var total int64
	for _, c := range p.Spec.Containers {
		q, ok := c.Resources.Requests[resource]
		if !ok {
			return 0, fmt.Errorf("missing request for %s in container %s of Pod %s", resource, c.Name, p.Name)
		}
		total += quantityOf(resource, q)
	}
	return total, nil
}

// errNoMetrics is the replica calculator's error when no pod has usable
// metrics.
var errNoMetrics = errors.New("did not receive metrics for targeted pods (pods might be unready)")

// resourceReplicas is Kubernetes' replica calculator for one Resource
// metric: metrics holds each pod's usage (by name, in quantityOf's unit),
// target the metric's target (Utilization or AverageValue).
func resourceReplicas(current int32, target api.MetricTarget, resource api.ResourceName, pods []*api.Pod,
	metrics map[string]int64, tolerance float64) (usage, error) {
	if len(pods) == 0 {
		return usage{}, errors.New("no pods returned by selector while calculating replica count")
	}
	readyCount := 0
	var unready, missing []string
	requests := map[string]int64{}
	usable := map[string]int64{}
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Status.Phase == api.PodFailed {
			continue // ignored
		}
		if target.Type == api.UtilizationMetricType {
			r, err := podRequest(p, resource)
			if err != nil {
				return usage{}, err
			}
			requests[p.Name] = r
		}
		if p.Status.Phase == api.PodPending {
			unready = append(unready, p.Name)
			continue
		}
		m, ok := metrics[p.Name]
		if !ok {
			missing = append(missing, p.Name)
			continue
		}
		if resource == api.ResourceCPU && !api.IsPodReady(p) {
			unready = append(unready, p.Name)
			continue
		}
		usable[p.Name] = m
		readyCount++
	}
	if len(usable) == 0 {
		return usage{}, errNoMetrics
	}

	var targetValue int64
	switch target.Type {
	case api.UtilizationMetricType:
		if target.AverageUtilization == nil {
			return usage{}, errors.New("target averageUtilization is not set")
		}
		targetValue = int64(*target.AverageUtilization)
	case api.AverageValueMetricType:
		if target.AverageValue == nil {
			return usage{}, errors.New("target averageValue is not set")
		}
		targetValue = quantityOf(resource, *target.AverageValue)
	default:
		return usage{}, fmt.Errorf("target type %q is not supported for resource metrics (Utilization or AverageValue)", target.Type)
	}
	if targetValue <= 0 {
		return usage{}, errors.New("the target must be positive")
	}
	// ratio is current/target over the pods in m; u is the reported usage.
	ratio := func(m map[string]int64) (float64, usage, error) {
		var sum, req int64
		for name, v := range m {
			sum += v
			req += requests[name]
		}
		u := usage{average: sum / int64(len(m))}
		if target.Type == api.UtilizationMetricType {
			if req == 0 {
				return 0, u, errors.New("no metrics returned matched known pods")
			}
			util := int32(sum * 100 / req)
			u.utilization = &util
			return float64(util) / float64(targetValue), u, nil
		}
		return float64(u.average) / float64(targetValue), u, nil
	}
	r, u, err := ratio(usable)
	if err != nil {
		return usage{}, err
	}
	scaleUpWithUnready := len(unready) > 0 && r > 1
	if !scaleUpWithUnready && len(missing) == 0 {
		if math.Abs(1-r) <= tolerance {
			u.replicas = current
		} else {
			u.replicas = int32(math.Ceil(r * float64(readyCount)))
		}
		return u, nil
	}
	// Count the pods without metrics conservatively: as using what they
	// request (or the target) when scaling down, nothing when scaling up.
	for _, name := range missing {
		if r < 1 {
			if target.Type == api.UtilizationMetricType {
				usable[name] = requests[name] * targetValue / 100
			} else {
				usable[name] = targetValue
			}
		} else {
			usable[name] = 0
		}
	}
	if scaleUpWithUnready {
		for _, name := range unready {
			usable[name] = 0
		}
	}
	nr, _, err := ratio(usable)
	if err != nil {
		return usage{}, err
	}
	if math.Abs(1-nr) <= tolerance || (r < 1 && nr > 1) || (r > 1 && nr < 1) {
		u.replicas = current
		return u, nil
	}
	n := int32(math.Ceil(nr * float64(len(usable))))
	if (nr < 1 && n > current) || (nr > 1 && n < current) {
		n = current
	}
	u.replicas = n
	return u, nil
}
