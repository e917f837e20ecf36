-- Todos are public and shared, as in the original TaskOverflow API.
CREATE TABLE todos (
    id          bigserial    PRIMARY KEY,
    title       varchar(80)  NOT NULL CHECK (title <> ''),
    description varchar(120) NOT NULL DEFAULT '',
    completed   boolean      NOT NULL DEFAULT false,
    deadline_at timestamptz,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now()
);

-- ?window=N filters on the deadline.
CREATE INDEX todos_deadline_at_idx ON todos (deadline_at);

CREATE TABLE users (
    id            bigserial   PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    password_hash bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
