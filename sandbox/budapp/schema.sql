-- budapp's tables, for the parts of budapp the sandbox implements.
CREATE TABLE IF NOT EXISTS "user" (
    id UUID PRIMARY KEY,
    auth_id UUID NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE,
    role VARCHAR NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'active',
    password VARCHAR NULL,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    is_reset_password BOOLEAN NOT NULL DEFAULT TRUE,
    color VARCHAR NOT NULL,
    first_login BOOLEAN NOT NULL DEFAULT TRUE,
    is_subscriber BOOLEAN NOT NULL DEFAULT FALSE,
    reset_password_attempt INTEGER NOT NULL DEFAULT 0,
    company VARCHAR(255) NULL,
    purpose VARCHAR(255) NULL,
    user_type VARCHAR NOT NULL DEFAULT 'client',
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE IF NOT EXISTS project (
    id UUID PRIMARY KEY,
    name VARCHAR NOT NULL,
    description VARCHAR NULL,
    tags JSONB NULL,
    icon VARCHAR NULL,
    status VARCHAR NOT NULL DEFAULT 'active',
    project_type VARCHAR NOT NULL DEFAULT 'client_app',
    benchmark BOOLEAN NOT NULL DEFAULT FALSE,
    created_by UUID NOT NULL REFERENCES "user"(id),
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE IF NOT EXISTS project_user_association (
    project_id UUID NOT NULL REFERENCES project(id),
    user_id UUID NOT NULL REFERENCES "user"(id),
    PRIMARY KEY (project_id, user_id)
);

-- The identity provider's own store (Keycloak in the real platform).
CREATE SCHEMA IF NOT EXISTS keycloak;
CREATE TABLE IF NOT EXISTS keycloak.user_entity (
    id UUID PRIMARY KEY,
    email VARCHAR NOT NULL UNIQUE,
    password_hash VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
