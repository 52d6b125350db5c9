// Package readme holds the test that runs README.md's Go snippets as
// printed: the server snippet and the client snippet together, in one
// program, the client talking to the server.
package readme
