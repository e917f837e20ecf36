-- Idempotency-Key on POST /api/v1/todos: the first answer to a key, written in
-- the transaction that inserts the todo, so a committed todo always has its key.
CREATE TABLE idempotency_keys (
    key         text        PRIMARY KEY,
    fingerprint bytea       NOT NULL, -- hash of the request's todo: the same key with another body is refused
    status      int         NOT NULL,
    body        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Expired keys are pruned by age.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
