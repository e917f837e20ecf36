// Package taskoverflow holds the domain of the TaskOverflow API: todos, users,
// sessions and the application error type. It imports nothing heavy, so every
// other package (the HTTP surface, the Postgres store, the Redis sessions, the
// load scenarios) can share these types.
package taskoverflow
