package registry

import (
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// cronJobs: batch/v1 CronJob. The schedule is a cron expression (five
// fields, or @hourly, @daily, ...) in timeZone (the tz database; the
// controller manager's zone when unset). Its status is the CronJob
// controller's.
var cronJobs = &Resource{
	Group: "batch", Version: "v1", Kind: "CronJob", Name: "cronjobs", Singular: "cronjob",
	Namespaced: true, ShortNames: []string{"cj"}, Categories: []string{"all"},
	Subresources: []string{"status"},
	Schema:       GoType[api.CronJob](),
	Strategy: Strategy{
		Default:          defaults.CronJob,
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateCronJob),
	},
	Columns: []Column{
		{Name: "Schedule", Type: "string", Description: "The schedule in Cron format.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "schedule") }},
		{Name: "Timezone", Type: "string", Description: "The time zone of the schedule.",
			Cell: func(o map[string]any, _ time.Time) any { return orNone(str(o, "spec", "timeZone")) }},
		{Name: "Suspend", Type: "boolean", Description: "Whether subsequent executions are suspended.",
			Cell: func(o map[string]any, _ time.Time) any { return boolPtr(value(o, "spec", "suspend")) }},
		{Name: "Active", Type: "integer", Description: "The number of running jobs.",
			Cell: func(o map[string]any, _ time.Time) any { return len(list(o, "status", "active")) }},
		{Name: "Last Schedule", Type: "string", Description: "When a job was last scheduled.",
			Cell: func(o map[string]any, now time.Time) any {
				if ts := str(o, "status", "lastScheduleTime"); ts != "" {
					return since(ts, now)
				}
				return "<none>"
			}},
		ageColumn,
		{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template.",
			Cell: func(o map[string]any, _ time.Time) any { return jobTemplateContainers(o, "name") }},
		{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template.",
			Cell: func(o map[string]any, _ time.Time) any { return jobTemplateContainers(o, "image") }},
		{Name: "Selector", Type: "string", Priority: 1, Description: "Label selector for the jobs' pods.",
			Cell: func(o map[string]any, _ time.Time) any {
				return orNone(selectorString(mapAt(o, "spec", "jobTemplate", "spec", "selector")))
			}},
	},
	GroupTypes: []string{"JobTemplateSpec", "ConcurrencyPolicy"},
	Docs: map[string]string{
		"CronJob":                                "CronJob represents the configuration of a single cron job.",
		"CronJob.spec":                           "Specification of the desired behavior of a cron job, including the schedule.",
		"CronJob.status":                         "Current status of a cron job.",
		"CronJobSpec":                            "CronJobSpec describes how the job execution will look like and when it will actually run.",
		"CronJobSpec.schedule":                   "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.",
		"CronJobSpec.timeZone":                   "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process.",
		"CronJobSpec.startingDeadlineSeconds":    "Optional deadline in seconds for starting the job if it misses scheduled time for any reason. Missed jobs executions will be counted as failed ones.",
		"CronJobSpec.concurrencyPolicy":          "Specifies how to treat concurrent executions of a Job. Valid values are: \"Allow\" (default), \"Forbid\" and \"Replace\".",
		"CronJobSpec.suspend":                    "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions. Defaults to false.",
		"CronJobSpec.jobTemplate":                "Specifies the job that will be created when executing a CronJob.",
		"CronJobSpec.successfulJobsHistoryLimit": "The number of successful finished jobs to retain. Value must be non-negative integer. Defaults to 3.",
		"CronJobSpec.failedJobsHistoryLimit":     "The number of failed finished jobs to retain. Value must be non-negative integer. Defaults to 1.",
		"CronJobStatus":                          "CronJobStatus represents the current state of a cron job.",
		"CronJobStatus.active":                   "A list of pointers to currently running jobs.",
		"CronJobStatus.lastScheduleTime":         "Information when was the last time the job was successfully scheduled.",
		"CronJobStatus.lastSuccessfulTime":       "Information when was the last time the job successfully completed.",
		"JobTemplateSpec":                        "JobTemplateSpec describes the data a Job should have when created from a template.",
	},
}

func init() { register(cronJobs) }

// jobTemplateContainers joins field of the job template's containers.
func jobTemplateContainers(o map[string]any, field string) string {
	var out []string
	for _, c := range list(o, "spec", "jobTemplate", "spec", "template", "spec", "containers") {
		c, _ := c.(map[string]any)
		out = append(out, str(c, field))
	}
	return strings.Join(out, ",")
}

// boolPtr renders an optional boolean as kubectl's printers do.
func boolPtr(v any) string {
	switch v {
	case true:
		return "True"
	case false:
		return "False"
	}
	return "<unset>"
}
