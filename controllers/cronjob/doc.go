// Package cronjob is the CronJob controller, in the shape of the other
// workload controllers (shared informers of CronJobs and Jobs, a
// workqueue of CronJob keys, level-triggered syncs) and with the rules of
// Kubernetes' cronjob_controllerv2:
//
//   - The schedule is parsed by robfig/cron/v3 (ParseStandard: five
//     fields or @hourly, @daily, ...), in spec.timeZone when set (the tz
//     database), else in the controller manager's local zone.
//   - The scheduled time to run is the latest one after
//     status.lastScheduleTime (or the CronJob's creation) that is not in
//     the future; with spec.startingDeadlineSeconds the window starts no
//     earlier than that long ago, and a time older than the deadline is a
//     missed run (event MissSchedule). More than 100 missed times records
//     the TooManyMissedTimes warning, and the latest still runs.
//   - Its Job is named <cronjob>-<scheduled time in Unix minutes>, so a
//     scheduled time is never run twice, and carries the
//     batch.kubernetes.io/cronjob-scheduled-timestamp annotation.
//   - concurrencyPolicy Forbid skips a run while a Job is active (the run
//     starts once it finishes, if still within the deadline); Replace
//     deletes the active Jobs first; Allow (default) runs them side by
//     side. spec.suspend stops new runs.
//   - status.active lists the unfinished Jobs; status.lastScheduleTime the
//     last run started and status.lastSuccessfulTime the completion time
//     of the latest Complete Job. Finished Jobs beyond
//     successfulJobsHistoryLimit (default 3) and failedJobsHistoryLimit
//     (default 1) are deleted, oldest first, with background propagation.
//   - The clock is Deps.Now, so tests move time instead of waiting; a
//     sync asks to be looked at again at the next scheduled time.
package cronjob
