package job

// Writer is the controller's API writer, for tests that wrap it.
type Writer = writer

// WrapWriter replaces c's writer with f of it.
func WrapWriter(c *Controller, f func(Writer) Writer) { c.w = f(c.w) }

// FinishedCondition and ReasonCompletionsReached for the tests.
var FinishedCondition = finishedCondition

const ReasonCompletionsReached = reasonCompletionsReached
