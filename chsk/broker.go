package chsk

import (
	"context"

	"github.com/gosente/gosente/chsk/wire"
)

// Broker carries pushes between the server nodes of a cluster: every Send
// goes through it, and every node delivers what it receives to the clients it
// holds. Without a Broker a Server delivers to its own clients directly.
//
// A Broker for a real distributed engine (Redis, NATS, Postgres…) lives in a
// module of its own; this package only defines the seam.
type Broker interface {
	// Publish delivers p to every node that subscribed, this one included.
	Publish(ctx context.Context, p Publication) error
	// Subscribe registers the node's delivery function. New calls it once;
	// Shutdown calls the returned cancel function.
	Subscribe(deliver func(Publication)) (cancel func())
}

// Publication is one push as it travels between nodes.
type Publication struct {
	// UID is the printed EDN of the target uid (see UIDKey); empty with All.
	UID string
	// ClientID, when set, narrows the push to that one client of UID.
	ClientID string
	// All sends to every connected client.
	All bool
	// Event is the event, printed once by the sending node.
	Event wire.Raw
}

// UIDKey returns the key a uid is known by in a Publication: its EDN text.
// Uids that print alike (the string "7" and the integer 7 do not) are the
// same user.
func UIDKey(uid any) (string, error) {
	b, err := wire.Marshal(uid)
	return string(b), err
}

// Presence keeps the cluster-wide view of connected uids (Sente's
// connected-uids) when a Server is one node of several: each node reports
// every change of its own clients, and any node can ask for the whole
// picture. Without a Presence, Server.Connected is this node's view only.
type Presence interface {
	// Update records that on node, uid now has (or no longer has) WebSocket
	// and Ajax clients. It is called synchronously on connection changes:
	// implementations should hand slow work off.
	Update(ctx context.Context, node string, ch UIDChange) error
	// Connected returns the uids connected on any node.
	Connected(ctx context.Context) (ConnectedUIDs, error)
}

// ConnectedUIDs is a snapshot of the users with at least one client connected
// (Sente's connected-uids): over WebSocket, over Ajax, and over either.
type ConnectedUIDs struct {
	WS, Ajax, Any []any
}

// UIDChange reports that a uid's connection state changed: whether it now
// has WebSocket clients, Ajax clients, neither or both.
type UIDChange struct {
	UID      any
	WS, Ajax bool
}
