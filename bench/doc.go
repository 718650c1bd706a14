// Package bench measures minik8s the way its users meet it and reports each
// figure beside its target in one table (make bench).
//
// Contract:
//
//   - The servers measured are separate processes of the minik8s binary
//     (Env.StartServer for apiserver and all, Env.StartProcess for other
//     roles such as the scheduler), so their CPU time and peak RSS (VmHWM)
//     are their own. Load comes from this process over loopback HTTPS with
//     keep-alive connections, one per concurrent client, and no client-side
//     rate limit; the servers run with the API rate limits and in-flight
//     caps off. Every setting the benchmark changes from minik8s's defaults
//     is in one config file (processConfig) and said in the notes under the
//     table.
//   - Times that span components (scheduling, a Deployment becoming
//     Running) are taken from a watch this process holds: from just before
//     the first request to the event that completes the work.
//   - Every run is bounded in count (Params) and in time (Params.RunTimeout):
//     a slow server makes a run stop early and say so, a stuck one makes it
//     fail, never hang.
//   - A Scenario is one self-contained measurement, listed in Scenarios();
//     new ones are added there. Its Env starts servers and creates scratch
//     Postgres databases and removes both when the scenario ends, whether it
//     succeeded or not. A scenario needing a service that was not given
//     (Options.Postgres, Options.Redis) is reported as skipped, and so are
//     the scale scenarios (NeedScale: all-10k, all-150k, minutes each)
//     unless Options.Scale (--scale) is set; with --quick they run at a
//     small size. A scenario may compare its figures with those an
//     earlier one of the same Run kept (all-10k's CPU per pod with
//     all-sqlite's).
//   - Figures are measurements on a possibly busy machine, not assertions: a
//     missed target is reported as MISS and does not make Run fail. A
//     scenario that cannot finish (a server that does not start, a request
//     that fails) is reported as ERROR, and Run then returns an error after
//     printing the table.
//   - Beside each wall-clock figure, the CPU time the measured process
//     used (utime + stime from /proc/PID/stat) per create, update or pod:
//     much less sensitive than wall-clock time to whatever else the
//     machine runs, so the figure to compare two builds by on a busy
//     machine. The `all` runs also give it net of the process's idle CPU
//     rate (heartbeats, leases), measured just before.
//   - With Options.ProfileDir, each timed scheduler and cluster run also
//     saves a CPU profile of its API server process (of all of `all`), for
//     go tool pprof.
package bench
