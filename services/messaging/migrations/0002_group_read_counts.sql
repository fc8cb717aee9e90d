-- "Read by N of M" in groups without work per member per message. For each group conversation,
-- how many current members have read up to each position and how many joined at each position;
-- a message's counts are then range sums over at most one row per distinct position:
--   read(s)     = members whose read position is >= s, minus members who joined after s (a
--                 member starts with everything before their join counted as read, but cannot
--                 see it)
--   audience(s) = members who joined at or before s
-- (the sender is taken off both by the reader of these counts). A read, a send, a join or a
-- leave moves at most two rows, whatever the group's size, and a trigger on members moves them
-- in the same transaction as the change, so the counts never disagree with the members.

CREATE TABLE group_positions (
  conversation_id bigint NOT NULL,
  position_kind smallint NOT NULL CHECK (position_kind IN (1, 2)),  -- 1 read up to, 2 joined at
  seq bigint NOT NULL,
  members integer NOT NULL CHECK (members >= 0),
  PRIMARY KEY (conversation_id, position_kind, seq)
);

CREATE FUNCTION shift_group_position(conversation bigint, kind smallint, at_seq bigint,
                                     delta integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  remaining integer;
BEGIN
  IF delta > 0 THEN
    INSERT INTO messaging.group_positions AS p VALUES (conversation, kind, at_seq, delta)
    ON CONFLICT (conversation_id, position_kind, seq) DO UPDATE SET members = p.members + delta;
    RETURN;
  END IF;
  UPDATE messaging.group_positions SET members = members + delta
  WHERE conversation_id = conversation AND position_kind = kind AND seq = at_seq
  RETURNING members INTO remaining;
  -- One row per distinct position: a position nobody holds goes (the row is locked by the
  -- update above, so nobody moved onto it meanwhile).
  IF remaining = 0 THEN
    DELETE FROM messaging.group_positions
    WHERE conversation_id = conversation AND position_kind = kind AND seq = at_seq;
  END IF;
END $$;

CREATE FUNCTION count_group_positions() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  old_read bigint;
  old_join bigint;
  new_read bigint;
  new_join bigint;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.last_visible_seq IS NULL THEN
    old_read := greatest(OLD.read_seq, OLD.first_visible_seq - 1);
    old_join := OLD.first_visible_seq;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.last_visible_seq IS NULL THEN
    new_read := greatest(NEW.read_seq, NEW.first_visible_seq - 1);
    new_join := NEW.first_visible_seq;
  END IF;
  IF old_read IS DISTINCT FROM new_read THEN
    IF old_read IS NOT NULL THEN
      PERFORM messaging.shift_group_position(OLD.conversation_id, 1::smallint, old_read, -1);
    END IF;
    IF new_read IS NOT NULL THEN
      PERFORM messaging.shift_group_position(NEW.conversation_id, 1::smallint, new_read, 1);
    END IF;
  END IF;
  IF old_join IS DISTINCT FROM new_join THEN
    IF old_join IS NOT NULL THEN
      PERFORM messaging.shift_group_position(OLD.conversation_id, 2::smallint, old_join, -1);
    END IF;
    IF new_join IS NOT NULL THEN
      PERFORM messaging.shift_group_position(NEW.conversation_id, 2::smallint, new_join, 1);
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- Direct conversations (kind 1) have receipts of their own and never call the function.
CREATE TRIGGER members_group_positions
AFTER INSERT OR UPDATE OF read_seq, first_visible_seq, last_visible_seq ON members
FOR EACH ROW WHEN (NEW.kind <> 1) EXECUTE FUNCTION count_group_positions();
CREATE TRIGGER members_group_positions_deleted
AFTER DELETE ON members
FOR EACH ROW WHEN (OLD.kind <> 1) EXECUTE FUNCTION count_group_positions();

-- Groups that exist already.
INSERT INTO group_positions (conversation_id, position_kind, seq, members)
SELECT conversation_id, 1, greatest(read_seq, first_visible_seq - 1), count(*)
FROM members WHERE kind <> 1 AND last_visible_seq IS NULL GROUP BY 1, 3;
INSERT INTO group_positions (conversation_id, position_kind, seq, members)
SELECT conversation_id, 2, first_visible_seq, count(*)
FROM members WHERE kind <> 1 AND last_visible_seq IS NULL GROUP BY 1, 3;
