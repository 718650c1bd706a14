package validation

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // CronJob time zones, in a binary built without cgo or system zoneinfo

	"github.com/robfig/cron/v3"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

var (
	completionModes   = []string{string(api.IndexedCompletion), string(api.NonIndexedCompletion)}
	jobRestarts       = []string{string(api.RestartPolicyOnFailure), string(api.RestartPolicyNever)}
	concurrencyPolicy = []string{string(api.AllowConcurrent), string(api.ForbidConcurrent), string(api.ReplaceConcurrent)}
)

// ValidateJob checks a Job as Kubernetes' ValidateJob and
// ValidateJobUpdate do: counts not negative, a known completion mode
// (Indexed needs completions), a selector that matches the template (and,
// unless manualSelector, is the one the API server generated from the
// Job's uid), a template that restarts OnFailure or Never. On update the
// selector, the template, the completion mode and (for NonIndexed jobs)
// completions are immutable.
func ValidateJob(newObj, oldObj *api.Job) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	if newObj.Spec.ManualSelector == nil || !*newObj.Spec.ManualSelector {
		errs = append(errs, validateGeneratedSelector(newObj, spec)...)
	}
	errs = append(errs, validateJobSpec(&newObj.Spec, spec)...)
	errs = append(errs, validateJobSelector(&newObj.Spec, spec)...)
	errs = append(errs, validateJobStatus(&newObj.Status, field.NewPath("status"))...)
	if oldObj == nil {
		return errs
	}
	s, old := &newObj.Spec, &oldObj.Spec
	errs = append(errs, ValidateImmutableField(s.Selector, old.Selector, spec.Child("selector"))...)
	errs = append(errs, ValidateImmutableField(s.Template, old.Template, spec.Child("template"))...)
	errs = append(errs, ValidateImmutableField(s.CompletionMode, old.CompletionMode, spec.Child("completionMode"))...)
	if s.CompletionMode == nil || *s.CompletionMode != api.IndexedCompletion {
		errs = append(errs, ValidateImmutableField(s.Completions, old.Completions, spec.Child("completions"))...)
	}
	return errs
}

// validateGeneratedSelector checks that a Job's selector is the one the
// API server generates: it selects the Job's uid.
func validateGeneratedSelector(j *api.Job, spec *field.Path) field.ErrorList {
	if j.UID == "" {
		return field.ErrorList{field.Required(field.NewPath("metadata", "uid"), "")}
	}
	sel := j.Spec.Selector
	if sel == nil {
		return nil // required, said elsewhere
	}
	want := map[string]string{api.JobControllerUIDLabel: j.UID}
	if ok, err := sel.Matches(want); err != nil || !ok || j.Spec.Template.Labels[api.JobControllerUIDLabel] != j.UID {
		return field.ErrorList{field.Invalid(spec.Child("selector"), sel, "`selector` not auto-generated")}
	}
	return nil
}

// validateJobSelector requires a selector that matches the template.
func validateJobSelector(s *api.JobSpec, spec *field.Path) field.ErrorList {
	if s.Selector == nil {
		return field.ErrorList{field.Required(spec.Child("selector"), "")}
	}
	errs := ValidateLabelSelector(s.Selector, spec.Child("selector"))
	if ok, err := s.Selector.Matches(s.Template.Labels); err == nil && !ok {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), s.Template.Labels, "`selector` does not match template `labels`"))
	}
	return errs
}

// validateJobSpec checks what a Job's spec and a CronJob's job template
// have in common.
func validateJobSpec(s *api.JobSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		v    *int32
	}{
		{"parallelism", s.Parallelism}, {"completions", s.Completions}, {"backoffLimit", s.BackoffLimit},
		{"ttlSecondsAfterFinished", s.TTLSecondsAfterFinished}, {"backoffLimitPerIndex", s.BackoffLimitPerIndex},
		{"maxFailedIndexes", s.MaxFailedIndexes},
	} {
		if f.v != nil {
			errs = append(errs, ValidateNonnegativeField(int64(*f.v), p.Child(f.name))...)
		}
	}
	if d := s.ActiveDeadlineSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *d, "must be greater than 0"))
	}
	if m := s.CompletionMode; m != nil {
		errs = append(errs, validateEnum(string(*m), completionModes, p.Child("completionMode"))...)
		if *m == api.IndexedCompletion && s.Completions == nil {
			errs = append(errs, field.Required(p.Child("completions"), fmt.Sprintf("when completion mode is %s", api.IndexedCompletion)))
		}
	}
	if s.BackoffLimitPerIndex != nil && (s.CompletionMode == nil || *s.CompletionMode != api.IndexedCompletion) {
		errs = append(errs, field.Forbidden(p.Child("backoffLimitPerIndex"), "requires indexed completion mode"))
	}
	if r := s.PodReplacementPolicy; r != nil {
		errs = append(errs, validateEnum(*r, []string{"Failed", "TerminatingOrFailed"}, p.Child("podReplacementPolicy"))...)
	}
	tp := p.Child("template")
	errs = append(errs, ValidatePodTemplateSpec(&s.Template, tp)...)
	if rp := string(s.Template.Spec.RestartPolicy); rp == "" {
		errs = append(errs, field.Required(tp.Child("spec", "restartPolicy"), fmt.Sprintf("valid values: %q, %q", jobRestarts[0], jobRestarts[1])))
	} else if rp != jobRestarts[0] && rp != jobRestarts[1] {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), rp, jobRestarts))
	}
	return errs
}

func validateJobStatus(s *api.JobStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, ValidateNonnegativeField(int64(s.Active), p.Child("active"))...)
	errs = append(errs, ValidateNonnegativeField(int64(s.Succeeded), p.Child("succeeded"))...)
	errs = append(errs, ValidateNonnegativeField(int64(s.Failed), p.Child("failed"))...)
	if s.Ready != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*s.Ready), p.Child("ready"))...)
	}
	return errs
}

// cronJobMaxName is the longest CronJob name: its jobs are named after it
// with an 11-character suffix, and job names are DNS-1035 labels.
const cronJobMaxName = 63 - 11

// ValidateCronJob checks a CronJob as Kubernetes' ValidateCronJobCreate
// and ValidateCronJobUpdate do: a name of at most 52 characters, a
// schedule in cron format (or @hourly and its kin) without TZ=, a time
// zone of the tz database, a known concurrency policy, history limits and
// deadline not negative, and a valid job template.
func ValidateCronJob(newObj, oldObj *api.CronJob) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	if len(newObj.Name) > cronJobMaxName {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), newObj.Name, fmt.Sprintf("must be no more than %d characters", cronJobMaxName)))
	}
	spec := field.NewPath("spec")
	s := &newObj.Spec
	if s.Schedule == "" {
		errs = append(errs, field.Required(spec.Child("schedule"), ""))
	} else {
		errs = append(errs, validateSchedule(s.Schedule, spec.Child("schedule"))...)
	}
	errs = append(errs, validateTimeZone(s.TimeZone, spec.Child("timeZone"))...)
	if d := s.StartingDeadlineSeconds; d != nil {
		errs = append(errs, ValidateNonnegativeField(*d, spec.Child("startingDeadlineSeconds"))...)
	}
	errs = append(errs, validateEnum(string(s.ConcurrencyPolicy), concurrencyPolicy, spec.Child("concurrencyPolicy"))...)
	if l := s.SuccessfulJobsHistoryLimit; l != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*l), spec.Child("successfulJobsHistoryLimit"))...)
	}
	if l := s.FailedJobsHistoryLimit; l != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*l), spec.Child("failedJobsHistoryLimit"))...)
	}
	jt := spec.Child("jobTemplate")
	errs = append(errs, ValidateLabels(s.JobTemplate.Labels, jt.Child("metadata", "labels"))...)
	errs = append(errs, ValidateAnnotations(s.JobTemplate.Annotations, jt.Child("metadata", "annotations"))...)
	errs = append(errs, validateJobSpec(&s.JobTemplate.Spec, jt.Child("spec"))...)
	if m := s.JobTemplate.Spec.ManualSelector; m != nil && *m {
		errs = append(errs, field.NotSupported(jt.Child("spec", "manualSelector"), *m, []string{"nil", "false"}))
	}
	return errs
}

// validateSchedule parses a schedule as the CronJob controller does
// (robfig/cron's standard parser: five fields or a descriptor).
func validateSchedule(schedule string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, err := cron.ParseStandard(schedule); err != nil {
		errs = append(errs, field.Invalid(p, schedule, err.Error()))
	}
	if strings.Contains(schedule, "TZ") {
		errs = append(errs, field.Invalid(p, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
	}
	return errs
}

var validTimeZoneCharacters = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

// validateTimeZone accepts nil or a name of the tz database.
func validateTimeZone(tz *string, p *field.Path) field.ErrorList {
	if tz == nil {
		return nil
	}
	if *tz == "" {
		return field.ErrorList{field.Invalid(p, *tz, "timeZone must be nil or non-empty string")}
	}
	for _, part := range strings.Split(*tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZoneCharacters.MatchString(part) {
			return field.ErrorList{field.Invalid(p, *tz, fmt.Sprintf("unknown time zone %s", *tz))}
		}
	}
	if strings.EqualFold(*tz, "Local") {
		return field.ErrorList{field.Invalid(p, *tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")}
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		return field.ErrorList{field.Invalid(p, *tz, err.Error())}
	}
	return nil
}
