-- Identity owns accounts, login codes, sessions and the social graph. Every table is keyed by
-- its owner's user id (or phone for pre-account state) so it can be distributed by that key.

CREATE TABLE users (
  user_id bigint PRIMARY KEY,
  phone text NOT NULL UNIQUE,                 -- E.164, shown only to its owner
  phone_hash text NOT NULL,                   -- hex SHA-256 of phone, for contact discovery
  plaza_id text,                              -- handle as the user typed it
  plaza_id_changed_at timestamptz,
  display_name text NOT NULL,
  avatar text NOT NULL DEFAULT '',
  region text NOT NULL DEFAULT '',
  signature text NOT NULL DEFAULT '',
  gender smallint NOT NULL DEFAULT 0,
  password_hash text,                         -- Argon2id, NULL when no password is set
  findable_by_phone boolean NOT NULL DEFAULT true,
  findable_by_plaza_id boolean NOT NULL DEFAULT true,
  friend_requests_need_approval boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_plaza_id_unique ON users (lower(plaza_id));
CREATE INDEX users_phone_hash ON users (phone_hash);

-- The latest code sent to a phone; a new request replaces it.
CREATE TABLE login_codes (
  phone text PRIMARY KEY,
  code_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Written only when dev_mode is on: what the development SMS sender "sent".
CREATE TABLE dev_sms_outbox (
  id bigserial PRIMARY KEY,
  phone text NOT NULL,
  code text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dev_sms_outbox_phone ON dev_sms_outbox (phone, id DESC);

-- One row per login of a device: the session family that refresh tokens rotate within.
CREATE TABLE sessions (
  session_id bigint PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (user_id),
  device_id text NOT NULL,
  device_name text NOT NULL,
  platform smallint NOT NULL,
  refresh_hash text NOT NULL UNIQUE,          -- SHA-256 of the current refresh token
  refresh_expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_active_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX sessions_active_by_user ON sessions (user_id, device_id) WHERE revoked_at IS NULL;

-- Refresh tokens already exchanged: presenting one again means it leaked.
CREATE TABLE spent_refresh_tokens (
  refresh_hash text PRIMARY KEY,
  session_id bigint NOT NULL REFERENCES sessions (session_id),
  spent_at timestamptz NOT NULL DEFAULT now()
);

-- Friendship is stored once per side, so each user's friends live under their own key.
CREATE TABLE friendships (
  user_id bigint NOT NULL REFERENCES users (user_id),
  friend_id bigint NOT NULL REFERENCES users (user_id),
  remark text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, friend_id)
);

CREATE TABLE friend_requests (
  request_id bigint PRIMARY KEY,
  from_user_id bigint NOT NULL REFERENCES users (user_id),
  to_user_id bigint NOT NULL REFERENCES users (user_id),
  greeting text NOT NULL DEFAULT '',
  source smallint NOT NULL DEFAULT 0,
  status smallint NOT NULL,                   -- FriendRequestStatus
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- At most one pending request per direction.
CREATE UNIQUE INDEX friend_requests_one_pending ON friend_requests (from_user_id, to_user_id)
  WHERE status = 1;
CREATE INDEX friend_requests_incoming ON friend_requests (to_user_id, request_id DESC);
CREATE INDEX friend_requests_outgoing ON friend_requests (from_user_id, request_id DESC);

CREATE TABLE blocks (
  user_id bigint NOT NULL REFERENCES users (user_id),
  blocked_user_id bigint NOT NULL REFERENCES users (user_id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, blocked_user_id)
);

CREATE TABLE tags (
  user_id bigint NOT NULL REFERENCES users (user_id),
  tag_id bigint NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, tag_id),
  UNIQUE (user_id, name)
);

CREATE TABLE tag_members (
  user_id bigint NOT NULL,
  tag_id bigint NOT NULL,
  friend_id bigint NOT NULL,
  PRIMARY KEY (user_id, tag_id, friend_id),
  FOREIGN KEY (user_id, tag_id) REFERENCES tags (user_id, tag_id) ON DELETE CASCADE
);
CREATE INDEX tag_members_by_friend ON tag_members (user_id, friend_id);

-- Recently ended sessions are re-published to Redis so a Redis restart cannot resurrect them.
CREATE INDEX sessions_recently_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
