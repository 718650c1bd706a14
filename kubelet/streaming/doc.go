// Package streaming is the node agent's side of the remote-command
// protocols that kubectl and client-go speak for pods/exec (and attach):
//
//   - WebSocket with subprotocol v5.channel.k8s.io or v4.channel.k8s.io
//     (kubectl's default since 1.30): every binary message starts with its
//     channel, 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5 adds
//     channel 255, whose message [255, n] closes channel n (the client's
//     end of stdin).
//   - SPDY/3.1 with X-Stream-Protocol-Version v4.channel.k8s.io (kubectl's
//     fallback, client-go's NewSPDYExecutor): one SPDY stream per channel,
//     named by its streamType header.
//
// In both, the error channel carries one JSON Status at the end: Success,
// or Failure with reason NonZeroExitCode and an ExitCode cause, which
// kubectl turns into its own exit code. Accept negotiates, upgrades and
// returns a Conn; Finish writes the Status and closes the connection.
//
// The WebSocket side uses github.com/gorilla/websocket, the SPDY side
// github.com/moby/spdystream (the SPDY framing client-go itself uses), so
// no frame is parsed here by hand.
package streaming
