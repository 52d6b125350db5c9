// Package cluster holds what the engine packages (chsk/natsbroker and
// chsk/redisbroker) share: the wire form of a Publication between nodes, the
// presence a process holds for its own nodes and the loop that copies it to
// the engine, and the merge of every node's presence into ConnectedUIDs.
//
// The presence model is the same on both engines: every node owns one record
// per connected uid (its flags: WebSocket, Ajax) and a heartbeat. A node that
// stops heartbeating drops out of every view after the TTL, whatever became
// of its records; a live node rewrites all its records after an outage.
package cluster
