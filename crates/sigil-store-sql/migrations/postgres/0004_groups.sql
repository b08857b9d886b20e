-- Groups of users and their members. A group's name is unique in its tenant ignoring case;
-- members go with their group or their user.

CREATE TABLE user_groups (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    name_normalized TEXT NOT NULL,
    description     TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    revision        BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name_normalized)
);

CREATE TABLE group_members (
    tenant_id TEXT NOT NULL,
    group_id  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES user_groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id);
-- Groups are listed by name bytewise, as on SQLite.
CREATE INDEX user_groups_name_bytewise ON user_groups (tenant_id, (name_normalized COLLATE "C"));
CREATE INDEX group_members_bytewise ON group_members (tenant_id, group_id, (user_id COLLATE "C"));
