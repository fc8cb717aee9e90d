-- Messaging owns conversations, their members' views and the messages. Tables are keyed by
-- conversation (messages, members by conversation) or by user (members, settings) so they can
-- be distributed by that key.
--
-- Sync: every row a device may need to fetch again records the transaction that last wrote it
-- (`written_xid`). A Sync cursor is a PostgreSQL snapshot; the next Sync returns the rows whose
-- writer is visible in the new snapshot and was not in the old one, i.e. exactly what committed
-- in between, however transactions interleave (see sync_cursor.h).

CREATE TABLE conversations (
  conversation_id bigint PRIMARY KEY,
  kind smallint NOT NULL CHECK (kind IN (1, 2, 3)),        -- direct, group, official
  last_seq bigint NOT NULL DEFAULT 0,                      -- gap-free: advanced under the row lock
  closed boolean NOT NULL DEFAULT false,                   -- read-only for everyone
  last_message_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  written_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- The one direct conversation of a pair of users (lower id first).
CREATE TABLE direct_pairs (
  low_user_id bigint NOT NULL,
  high_user_id bigint NOT NULL,
  conversation_id bigint NOT NULL REFERENCES conversations,
  PRIMARY KEY (low_user_id, high_user_id),
  CHECK (low_user_id < high_user_id)
);

-- A user's view of a conversation: what they may see, what they read, their settings.
-- Direct conversations touch both rows on every message (written_xid), so a Sync finds them
-- through (user_id, written_xid); groups do not (a send must cost the same for 3 members as
-- for 500), so a Sync looks at each of the user's group conversations' written_xid instead.
CREATE TABLE members (
  user_id bigint NOT NULL,
  conversation_id bigint NOT NULL REFERENCES conversations,
  kind smallint NOT NULL,
  peer_user_id bigint NOT NULL DEFAULT 0,                  -- direct: the other user
  first_visible_seq bigint NOT NULL,                       -- joined after this many messages + 1
  last_visible_seq bigint,                                 -- set when the user left
  read_seq bigint NOT NULL DEFAULT 0,
  peer_read_seq bigint NOT NULL DEFAULT 0,                 -- direct, when both share receipts
  cleared_seq bigint NOT NULL DEFAULT 0,
  hidden_seq bigint NOT NULL DEFAULT -1,                   -- hidden while last_seq <= hidden_seq
  muted boolean NOT NULL DEFAULT false,
  pinned boolean NOT NULL DEFAULT false,
  joined_at timestamptz NOT NULL DEFAULT now(),
  written_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX members_changes ON members (user_id, written_xid);
CREATE INDEX members_groups ON members (user_id, conversation_id) WHERE kind <> 1;
CREATE INDEX members_of_conversation ON members (conversation_id, user_id);

CREATE TABLE messages (
  conversation_id bigint NOT NULL REFERENCES conversations,
  seq bigint NOT NULL,
  message_id bigint NOT NULL,
  sender_id bigint NOT NULL,                               -- 0: the system
  client_message_id text NOT NULL,
  sent_at timestamptz NOT NULL,
  content bytea NOT NULL,                                  -- plaza.messaging.v1.MessageContent
  recalled boolean NOT NULL DEFAULT false,
  forwarded boolean NOT NULL DEFAULT false,
  edit_count integer NOT NULL DEFAULT 0,
  edited_at timestamptz,
  mentioned_user_ids bigint[] NOT NULL DEFAULT '{}',
  mentions_all boolean NOT NULL DEFAULT false,
  search_terms tsvector,                                   -- see search_terms.h; NULL if none
  written_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (conversation_id, sender_id, client_message_id)
);
CREATE INDEX messages_changes ON messages (conversation_id, written_xid);
CREATE INDEX messages_search ON messages USING gin (search_terms);

-- Earlier contents of edited messages.
CREATE TABLE message_revisions (
  conversation_id bigint NOT NULL,
  seq bigint NOT NULL,
  edit_number integer NOT NULL,
  content bytea NOT NULL,
  replaced_at timestamptz NOT NULL,
  PRIMARY KEY (conversation_id, seq, edit_number),
  FOREIGN KEY (conversation_id, seq) REFERENCES messages
);

-- "Delete for me".
CREATE TABLE deleted_messages (
  user_id bigint NOT NULL,
  conversation_id bigint NOT NULL,
  seq bigint NOT NULL,
  written_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (user_id, conversation_id, seq)
);
CREATE INDEX deleted_messages_changes ON deleted_messages (user_id, conversation_id, written_xid);

CREATE TABLE user_settings (
  user_id bigint PRIMARY KEY,
  read_receipts boolean NOT NULL DEFAULT false
);
