package hpa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// Condition types of an HPA's status.
const (
	condAbleToScale    = "AbleToScale"
	condScalingActive  = "ScalingActive"
	condScalingLimited = "ScalingLimited"
)

// sync reconciles one HPA; failures to measure or to scale are reported in
// its status and events and retried at the next periodic sync, a failed
// status write is returned (and retried with backoff).
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	cached, ok := c.hpas.Get(key)
	if !ok {
		return 0, nil
	}
	hpa := api.DeepCopy(cached)
	before, _ := json.Marshal(hpa.Status)
	c.reconcile(ctx, key, hpa, c.now())
	after, _ := json.Marshal(hpa.Status)
	if string(before) == string(after) {
		return 0, nil
	}
	if err := c.w.UpdateStatus(ctx, hpa); err != nil {
		return 0, fmt.Errorf("update status of %s: %w", key, err)
	}
	return 0, nil
}

func (c *Controller) reconcile(ctx context.Context, key informer.Key, hpa *api.HorizontalPodAutoscaler, now time.Time) {
	ref := controllerutil.Ref("autoscaling/v2", "HorizontalPodAutoscaler", hpa)
	st := &hpa.Status
	gen := hpa.Generation
	st.ObservedGeneration = &gen
	t := hpa.Spec.ScaleTargetRef
	failScale := func(err error) {
		c.events.Eventf(ref, api.EventTypeWarning, "FailedGetScale", "%v", err)
		setCondition(st, condAbleToScale, api.ConditionFalse, "FailedGetScale",
			fmt.Sprintf("the HPA controller was unable to get the target's current scale: %v", err), now)
	}
	resource, err := c.w.Resource(ctx, t.APIVersion, t.Kind)
	if err != nil {
		failScale(err)
		return
	}
	scale, err := c.w.GetScale(ctx, t.APIVersion, resource, hpa.Namespace, t.Name)
	if err != nil {
		failScale(err)
		return
	}
	setCondition(st, condAbleToScale, api.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale", now)
	current := scale.Spec.Replicas
	st.CurrentReplicas = scale.Status.Replicas
	minR := int32(1)
	if hpa.Spec.MinReplicas != nil {
		minR = *hpa.Spec.MinReplicas
	}
	maxR := hpa.Spec.MaxReplicas

	var desired int32
	var reason string
	up, down := behaviorOf(hpa.Spec.Behavior, c.cfg.DownscaleStabilization)
	hist := c.historyOf(key)
	switch {
	case current == 0 && minR != 0:
		desired = 0
		setCondition(st, condScalingActive, api.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now)
	case current > maxR:
		desired, reason = maxR, "Current number of replicas above Spec.MaxReplicas"
	case current < minR:
		desired, reason = minR, "Current number of replicas below Spec.MinReplicas"
	default:
		proposal, metricName, statuses, err := c.computeReplicas(ctx, hpa, scale, current, now)
		st.CurrentMetrics = statuses
		if err != nil {
			c.events.Eventf(ref, api.EventTypeWarning, "FailedComputeMetricsReplicas", "invalid metrics (%d invalid out of %d), first error is: %v",
				max(1, len(hpa.Spec.Metrics)-len(statuses)), max(1, len(hpa.Spec.Metrics)), err)
			return
		}
		setCondition(st, condScalingActive, api.ConditionTrue, "ValidMetricFound",
			"the HPA was able to successfully calculate a replica count from "+metricName, now)
		stabilized, sreason, smsg := hist.stabilize(current, proposal, up, down, now)
		setCondition(st, condAbleToScale, api.ConditionTrue, sreason, smsg, now)
		var lreason, lmsg string
		desired, lreason, lmsg = hist.limit(current, stabilized, minR, maxR, up, down, now)
		status := api.ConditionFalse
		if desired != stabilized {
			status = api.ConditionTrue
		}
		setCondition(st, condScalingLimited, status, lreason, lmsg, now)
		reason = "All metrics below target"
		if desired > current {
			reason = metricName + " above target"
		}
	}
	if desired != current {
		scale.Spec.Replicas = desired
		if err := c.w.UpdateScale(ctx, t.APIVersion, resource, scale); err != nil {
			c.events.Eventf(ref, api.EventTypeWarning, "FailedRescale", "New size: %d; reason: %s; error: %v", desired, reason, err)
			setCondition(st, condAbleToScale, api.ConditionFalse, "FailedUpdateScale",
				fmt.Sprintf("the HPA controller was unable to update the target scale: %v", err), now)
			return
		}
		setCondition(st, condAbleToScale, api.ConditionTrue, "SucceededRescale",
			fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired), now)
		c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulRescale", "New size: %d; reason: %s", desired, reason)
		c.log.Info().Str("hpa", key.String()).Int32("from", current).Int32("to", desired).Str("reason", reason).Msg("rescaled")
		hist.record(current, desired, up, down, now)
		lst := api.NewTime(now)
		st.LastScaleTime = &lst
	}
	st.DesiredReplicas = desired
}

// computeReplicas is the largest proposal of the HPA's metrics, the name
// of the metric that made it, and the metrics' current values. As in
// Kubernetes, invalid metrics are skipped unless all are invalid or the
// valid ones would scale down.
func (c *Controller) computeReplicas(ctx context.Context, hpa *api.HorizontalPodAutoscaler, scale *api.Scale,
	current int32, now time.Time) (int32, string, []api.MetricStatus, error) {
	st := &hpa.Status
	ref := controllerutil.Ref("autoscaling/v2", "HorizontalPodAutoscaler", hpa)
	fail := func(reason string, err error) (int32, string, []api.MetricStatus, error) {
		c.events.Eventf(ref, api.EventTypeWarning, reason, "%v", err)
		setCondition(st, condScalingActive, api.ConditionFalse, reason, fmt.Sprintf("the HPA was unable to compute the replica count: %v", err), now)
		return 0, "", nil, err
	}
	if scale.Status.Selector == "" {
		return fail("SelectorRequired", errors.New("selector is required"))
	}
	sel, err := labels.Parse(scale.Status.Selector)
	if err != nil {
		return fail("InvalidSelector", fmt.Errorf("couldn't convert selector into a corresponding internal selector object: %v", err))
	}
	var pods []*api.Pod
	for _, p := range c.pods.ByIndex(controllerutil.IndexNamespace, hpa.Namespace) {
		if sel.Matches(p.Labels) {
			pods = append(pods, p)
		}
	}
	metrics := hpa.Spec.Metrics
	if len(metrics) == 0 {
		// autoscaling/v1's default: 80% CPU.
		util := int32(80)
		metrics = []api.MetricSpec{{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricSource{
			Name: api.ResourceCPU, Target: api.MetricTarget{Type: api.UtilizationMetricType, AverageUtilization: &util}}}}
	}
	var podMetrics *api.PodMetricsList
	var statuses []api.MetricStatus
	proposal, name := int32(-1), ""
	var firstErr error
	invalid := 0
	for _, m := range metrics {
		if m.Type != api.ResourceMetricSourceType || m.Resource == nil {
			invalid++
			if firstErr == nil {
				firstErr = fmt.Errorf("metric type %q is not supported (Resource is)", m.Type)
				setCondition(st, condScalingActive, api.ConditionFalse, "InvalidMetricSourceType",
					fmt.Sprintf("the HPA was unable to compute the replica count: %v", firstErr), now)
			}
			continue
		}
		res := m.Resource.Name
		if podMetrics == nil {
			if podMetrics, err = c.w.PodMetrics(ctx, hpa.Namespace, scale.Status.Selector); err != nil {
				return fail("FailedGetResourceMetric", fmt.Errorf("unable to get metrics for resource %s: unable to fetch metrics from resource metrics API: %v", res, err))
			}
		}
		usageByPod := map[string]int64{}
		for _, pm := range podMetrics.Items {
			var sum int64
			for _, cm := range pm.Containers {
				sum += quantityOf(res, cm.Usage[res])
			}
			usageByPod[pm.Name] = sum
		}
		u, err := resourceReplicas(current, m.Resource.Target, res, pods, usageByPod, c.cfg.Tolerance)
		if err != nil {
			invalid++
			if firstErr == nil {
				firstErr = fmt.Errorf("failed to get %s utilization: %w", res, err)
				c.events.Eventf(ref, api.EventTypeWarning, "FailedGetResourceMetric", "%v", firstErr)
				setCondition(st, condScalingActive, api.ConditionFalse, "FailedGetResourceMetric",
					fmt.Sprintf("the HPA was unable to compute the replica count: %v", firstErr), now)
			}
			continue
		}
		avg := toQuantity(res, u.average)
		statuses = append(statuses, api.MetricStatus{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricStatus{
			Name: res, Current: api.MetricValueStatus{AverageValue: &avg, AverageUtilization: u.utilization}}})
		metricName := fmt.Sprintf("%s resource", res)
		if m.Resource.Target.Type == api.UtilizationMetricType {
			metricName = fmt.Sprintf("%s resource utilization (percentage of request)", res)
		}
		if u.replicas > proposal {
			proposal, name = u.replicas, metricName
		}
	}
	if invalid > 0 && (invalid == len(metrics) || proposal < current) {
		if firstErr == nil {
			firstErr = errors.New("invalid metrics")
		}
		return 0, "", statuses, firstErr
	}
	return proposal, name, statuses, nil
}

// setCondition sets a condition of the status, keeping its
// lastTransitionTime unless its status changes.
func setCondition(st *api.HorizontalPodAutoscalerStatus, typ string, status api.ConditionStatus, reason, msg string, now time.Time) {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type != typ {
			continue
		}
		if c.Status != status {
			c.LastTransitionTime = api.NewTime(now)
		}
		c.Status, c.Reason, c.Message = status, reason, msg
		return
	}
	st.Conditions = append(st.Conditions, api.HorizontalPodAutoscalerCondition{Type: typ, Status: status,
		Reason: reason, Message: msg, LastTransitionTime: api.NewTime(now)})
}
