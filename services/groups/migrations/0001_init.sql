-- Groups owns who is in which group and what each member may do. Every table is keyed by the
-- group first (members_by_user is the one per-user path), so the schema distributes by group id.
-- Every change to a group locks its row in `groups` first: that serialises the group's changes,
-- keeps member_count equal to its member rows, and orders the group's outbox.

CREATE TABLE groups (
  group_id bigint PRIMARY KEY,                             -- also the conversation id in messaging
  name text NOT NULL DEFAULT '',
  avatar text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  announcement text NOT NULL DEFAULT '',
  announcement_author_id bigint NOT NULL DEFAULT 0,
  announcement_at timestamptz,
  member_count integer NOT NULL CHECK (member_count BETWEEN 0 AND 500),
  who_can_invite smallint NOT NULL DEFAULT 1,              -- plaza.groups.v1.Permission
  who_can_edit_name smallint NOT NULL DEFAULT 1,
  join_approval boolean NOT NULL DEFAULT false,
  mute_all boolean NOT NULL DEFAULT false,
  pinned_seq bigint NOT NULL DEFAULT 0,
  created_by bigint NOT NULL,
  create_request_id text NOT NULL,                         -- the creator's client_request_id
  created_at timestamptz NOT NULL,
  dissolved_at timestamptz,
  UNIQUE (created_by, create_request_id)
);

CREATE TABLE members (
  group_id bigint NOT NULL REFERENCES groups,
  user_id bigint NOT NULL,
  role smallint NOT NULL CHECK (role IN (1, 2, 3)),        -- member, admin, owner (MemberRole)
  nickname text NOT NULL DEFAULT '',
  inviter_id bigint NOT NULL DEFAULT 0,
  joined_at timestamptz NOT NULL,
  muted_until timestamptz,
  show_nicknames boolean NOT NULL DEFAULT true,
  saved_to_contacts boolean NOT NULL DEFAULT false,
  PRIMARY KEY (group_id, user_id)
);
CREATE UNIQUE INDEX members_one_owner ON members (group_id) WHERE role = 3;
CREATE INDEX members_admins ON members (group_id) WHERE role = 2;
CREATE INDEX members_by_user ON members (user_id, group_id);

-- Invitations: the signed payload names (group_id, invite_id); this row says whether it was
-- revoked. Expiry is in the signature too, so an expired payload needs no lookup.
CREATE TABLE invites (
  group_id bigint NOT NULL REFERENCES groups,
  invite_id bigint NOT NULL,
  creator_id bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (group_id, invite_id)
);

CREATE TABLE join_requests (
  group_id bigint NOT NULL REFERENCES groups,
  request_id bigint NOT NULL,
  user_id bigint NOT NULL,
  inviter_id bigint NOT NULL,
  message text NOT NULL DEFAULT '',
  status smallint NOT NULL CHECK (status IN (1, 2, 3)),   -- pending, approved, rejected
  created_at timestamptz NOT NULL,
  decided_by bigint,
  decided_at timestamptz,
  PRIMARY KEY (group_id, request_id)
);
CREATE UNIQUE INDEX join_requests_one_pending ON join_requests (group_id, user_id) WHERE status = 1;

-- What messaging must be told, written in the transaction of the change it describes and
-- delivered in outbox_id order per group (outbox_relay.h). outbox_id comes from a sequence taken
-- under the group's row lock, so a group's entries are numbered in commit order.
CREATE TABLE outbox (
  group_id bigint NOT NULL REFERENCES groups,
  outbox_id bigint GENERATED ALWAYS AS IDENTITY,
  operation smallint NOT NULL,                             -- ConversationOp (notices.h)
  notice_kind text NOT NULL,
  actor_id bigint NOT NULL,
  user_ids bigint[] NOT NULL,
  detail text NOT NULL DEFAULT '',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  leased_until timestamptz,                                -- a deliverer is at it until then
  last_error text NOT NULL DEFAULT '',
  failed_at timestamptz,                                   -- refused for good; kept for operators
  PRIMARY KEY (group_id, outbox_id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE failed_at IS NULL;
