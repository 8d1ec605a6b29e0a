-- The scripting corpus: Spark SQL scripts (compound statements) that Spark 4.0.1 runs,
-- written for this project after the constructs Spark's own scripting tests exercise
-- (execution and end-to-end suites, sql-tests/inputs/scripting). test_scripting_corpus.py
-- runs each through the kernel and through pyspark's spark.sql on the same server and
-- compares the results (or the error class). `{p}` is replaced by a prefix of each side's
-- own, so that tables the two runs create do not meet. A script starts at a line
-- `-- script: NAME`.

-- script: empty_block
BEGIN
END

-- script: one_select
BEGIN
  SELECT 7 AS seven;
END

-- script: last_result_wins
BEGIN
  SELECT 'first' AS which;
  SELECT 'second' AS which;
  VALUES ('third'), ('fourth');
END

-- script: variables_declared_and_set
BEGIN
  DECLARE reads INT DEFAULT 40;
  DECLARE label STRING;
  SET reads = reads + 2;
  SET label = concat('sample-', CAST(reads AS STRING));
  SELECT reads, label;
END

-- script: set_from_subqueries
BEGIN
  DECLARE lo INT;
  DECLARE hi INT;
  SET lo = (SELECT min(id) FROM range(5, 12));
  SET hi = (SELECT max(id) FROM range(5, 12));
  SELECT lo, hi, hi - lo AS span;
END

-- script: nested_blocks_shadowing
BEGIN
  DECLARE depth INT DEFAULT 1;
  BEGIN
    DECLARE depth INT DEFAULT 2;
    BEGIN
      DECLARE inner_only INT DEFAULT 3;
      SET depth = depth * 10 + inner_only;
    END;
    SELECT depth AS inner_depth;
  END;
  SELECT depth AS outer_depth;
END

-- script: labeled_nested_block_leave
BEGIN
  DECLARE trail STRING DEFAULT '';
  outer_part: BEGIN
    SET trail = trail || 'a';
    inner_part: BEGIN
      SET trail = trail || 'b';
      LEAVE outer_part;
      SET trail = trail || 'x';
    END inner_part;
    SET trail = trail || 'y';
  END outer_part;
  SELECT trail;
END

-- script: if_then
BEGIN
  DECLARE n INT DEFAULT 3;
  IF n > 2 THEN
    SELECT 'big' AS size;
  END IF;
END

-- script: if_else
BEGIN
  DECLARE n INT DEFAULT 1;
  IF n > 2 THEN
    SELECT 'big' AS size;
  ELSE
    SELECT 'small' AS size;
  END IF;
END

-- script: if_elseif_chain
BEGIN
  DECLARE score INT DEFAULT 72;
  DECLARE grade STRING;
  IF score >= 90 THEN SET grade = 'A';
  ELSEIF score >= 80 THEN SET grade = 'B';
  ELSEIF score >= 70 THEN SET grade = 'C';
  ELSE SET grade = 'F';
  END IF;
  SELECT score, grade;
END

-- script: if_with_subquery_condition
BEGIN
  IF (SELECT count(*) FROM range(4) WHERE id % 2 = 0) = 2 THEN
    SELECT 'two evens' AS found;
  ELSE
    SELECT 'other' AS found;
  END IF;
END

-- script: else_if_nested
BEGIN
  DECLARE n INT DEFAULT 5;
  IF n < 0 THEN
    SELECT 'negative' AS sign;
  ELSE IF n = 0 THEN
    SELECT 'zero' AS sign;
  ELSE
    SELECT 'positive' AS sign;
  END IF;
  END IF;
END

-- script: case_simple_statement
BEGIN
  DECLARE kingdom STRING DEFAULT 'Fungi';
  CASE kingdom
    WHEN 'Bacteria' THEN SELECT 1 AS code;
    WHEN 'Fungi' THEN SELECT 2 AS code;
    ELSE SELECT 0 AS code;
  END CASE;
END

-- script: case_searched_statement
BEGIN
  DECLARE gc DOUBLE DEFAULT 0.61;
  CASE
    WHEN gc < 0.4 THEN SELECT 'low' AS gc_class;
    WHEN gc < 0.6 THEN SELECT 'mid' AS gc_class;
    ELSE SELECT 'high' AS gc_class;
  END CASE;
END

-- script: case_statement_no_match
BEGIN
  DECLARE x INT DEFAULT 9;
  DECLARE hit STRING DEFAULT 'none';
  CASE x WHEN 1 THEN SET hit = 'one'; WHEN 2 THEN SET hit = 'two'; END CASE;
  SELECT hit;
END

-- script: case_expression_inside_block
BEGIN
  SELECT id, CASE WHEN id % 2 = 0 THEN 'even' ELSE 'odd' END AS parity FROM range(4) ORDER BY id;
END

-- script: while_counter
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE total INT DEFAULT 0;
  WHILE i < 5 DO
    SET i = i + 1;
    SET total = total + i;
  END WHILE;
  SELECT i, total;
END

-- script: while_never_runs
BEGIN
  DECLARE i INT DEFAULT 10;
  WHILE i < 5 DO
    SET i = i + 1;
  END WHILE;
  SELECT i;
END

-- script: while_labeled_leave
BEGIN
  DECLARE i INT DEFAULT 0;
  counting: WHILE true DO
    SET i = i + 1;
    IF i >= 4 THEN LEAVE counting; END IF;
  END WHILE counting;
  SELECT i;
END

-- script: while_iterate_skips
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE odds STRING DEFAULT '';
  walk: WHILE i < 7 DO
    SET i = i + 1;
    IF i % 2 = 0 THEN ITERATE walk; END IF;
    SET odds = odds || CAST(i AS STRING);
  END WHILE walk;
  SELECT odds;
END

-- script: nested_while_leave_outer
BEGIN
  DECLARE a INT DEFAULT 0;
  DECLARE pairs INT DEFAULT 0;
  rows_loop: WHILE a < 3 DO
    SET a = a + 1;
    BEGIN
      DECLARE b INT DEFAULT 0;
      cols_loop: WHILE b < 3 DO
        SET b = b + 1;
        IF a = 2 AND b = 2 THEN LEAVE rows_loop; END IF;
        SET pairs = pairs + 1;
      END WHILE cols_loop;
    END;
  END WHILE rows_loop;
  SELECT a, pairs;
END

-- script: repeat_until
BEGIN
  DECLARE n INT DEFAULT 1;
  REPEAT
    SET n = n * 3;
  UNTIL n > 50
  END REPEAT;
  SELECT n;
END

-- script: repeat_runs_once
BEGIN
  DECLARE runs INT DEFAULT 0;
  REPEAT
    SET runs = runs + 1;
  UNTIL true
  END REPEAT;
  SELECT runs;
END

-- script: repeat_labeled_iterate
BEGIN
  DECLARE n INT DEFAULT 0;
  DECLARE kept INT DEFAULT 0;
  again: REPEAT
    SET n = n + 1;
    IF n = 3 THEN ITERATE again; END IF;
    SET kept = kept + n;
  UNTIL n >= 5
  END REPEAT again;
  SELECT n, kept;
END

-- script: loop_leave
BEGIN
  DECLARE n INT DEFAULT 0;
  spin: LOOP
    SET n = n + 2;
    IF n >= 10 THEN LEAVE spin; END IF;
  END LOOP spin;
  SELECT n;
END

-- script: loop_iterate_sum_odds
BEGIN
  DECLARE acc INT DEFAULT 0;
  DECLARE k INT DEFAULT 0;
  odds: LOOP
    SET k = k + 1;
    IF k > 9 THEN LEAVE odds; END IF;
    IF k % 2 = 0 THEN ITERATE odds; END IF;
    SET acc = acc + k;
  END LOOP odds;
  SELECT acc;
END

-- script: for_with_variable
BEGIN
  DECLARE total BIGINT DEFAULT 0;
  FOR r AS SELECT id, id * id AS sq FROM range(1, 5) DO
    SET total = total + r.sq;
  END FOR;
  SELECT total;
END

-- script: for_without_variable
BEGIN
  DECLARE names STRING DEFAULT '';
  FOR SELECT name FROM VALUES ('ada'), ('bo'), ('cy') AS t(name) ORDER BY name DO
    SET names = names || name || ';';
  END FOR;
  SELECT names;
END

-- script: for_labeled_leave
BEGIN
  DECLARE seen INT DEFAULT 0;
  scan: FOR r AS SELECT id FROM range(100) ORDER BY id DO
    IF r.id >= 3 THEN LEAVE scan; END IF;
    SET seen = seen + 1;
  END FOR scan;
  SELECT seen;
END

-- script: for_nested
BEGIN
  DECLARE cells INT DEFAULT 0;
  FOR x AS SELECT id AS i FROM range(3) DO
    FOR y AS SELECT id AS j FROM range(2) DO
      SET cells = cells + x.i * 10 + y.j;
    END FOR;
  END FOR;
  SELECT cells;
END

-- script: dml_in_block
BEGIN
  DROP TABLE IF EXISTS {p}script_counts;
  CREATE TABLE {p}script_counts (site STRING, n INT) USING parquet;
  INSERT INTO {p}script_counts VALUES ('creek', 3), ('marsh', 5);
  UPDATE_SKIPPED: BEGIN END UPDATE_SKIPPED;
  INSERT INTO {p}script_counts SELECT site || '-b', n * 2 FROM {p}script_counts;
  SELECT site, n FROM {p}script_counts ORDER BY site;
END

-- script: dml_in_loop
BEGIN
  DECLARE i INT DEFAULT 0;
  DROP TABLE IF EXISTS {p}script_loop;
  CREATE TABLE {p}script_loop (i INT) USING parquet;
  WHILE i < 4 DO
    INSERT INTO {p}script_loop VALUES (i);
    SET i = i + 1;
  END WHILE;
  SELECT count(*) AS n, sum(i) AS s FROM {p}script_loop;
END

-- script: temp_view_in_block
BEGIN
  CREATE OR REPLACE TEMPORARY VIEW script_view AS SELECT id * 2 AS twice FROM range(3);
  SELECT sum(twice) AS total FROM script_view;
END

-- script: exit_handler_catches
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    SELECT 'handled' AS outcome;
  END;
  SELECT 1 / 0;
END

-- script: exit_handler_for_sqlstate
BEGIN
  DECLARE status STRING DEFAULT 'ok';
  DECLARE EXIT HANDLER FOR SQLSTATE '22012'
  BEGIN
    SELECT 'divide by zero' AS status;
  END;
  SELECT 10 / 0;
  SELECT status;
END

-- script: condition_declared
BEGIN
  DECLARE zero_division CONDITION FOR SQLSTATE '22012';
  DECLARE EXIT HANDLER FOR SQLSTATE '22012'
  BEGIN
    SELECT 'by state' AS caught;
  END;
  SELECT 5 / 0;
END

-- script: error_without_handler
BEGIN
  DECLARE x INT DEFAULT 0;
  SET x = 1;
  SELECT 1 / 0;
END

-- script: unknown_label_error
BEGIN
  LEAVE nowhere;
END

-- script: execute_immediate_in_block
BEGIN
  DECLARE stmt STRING DEFAULT 'SELECT ? * 3 AS tripled';
  EXECUTE IMMEDIATE stmt USING 14;
END

-- script: session_variable_from_block
BEGIN
  DECLARE local_n INT DEFAULT 6;
  SELECT local_n * local_n AS squared;
END

-- script: while_with_case_expression_condition
BEGIN
  DECLARE n INT DEFAULT 0;
  WHILE CASE WHEN n < 3 THEN true ELSE false END DO
    SET n = n + 1;
  END WHILE;
  SELECT n;
END

-- script: begin_as_a_column_name
BEGIN
  SELECT begin, `end` FROM VALUES (1, 2) AS t(begin, `end`);
END

-- script: strings_holding_keywords
BEGIN
  SELECT 'BEGIN; END; END IF;' AS text, "WHILE x DO" AS other;
END

-- script: comments_inside
BEGIN
  -- a line comment; with END in it
  /* a block comment; BEGIN */
  SELECT 'after comments' AS note; -- END
END
