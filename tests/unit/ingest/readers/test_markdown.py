from __future__ import annotations

from ingest.readers.markdown import Row, count_tables, table_blocks


def test_rows_carry_their_header_and_the_passage_names_them() -> None:
    rows = [Row(1, ["Year", "Budget"]), Row(2, ["2022", "10"]), Row(3, ["2023", "12"])]
    (block,) = table_blocks(rows, "Table 4", 1000)
    assert block.splitlines() == [
        "Table 4, rows 2–3:",
        "Year: 2022; Budget: 10.",
        "Year: 2023; Budget: 12.",
    ]


def test_a_large_table_is_split_into_groups_that_each_repeat_the_name() -> None:
    rows = [Row(1, ["Name", "Note"])] + [Row(n, [f"item {n}", "x" * 80]) for n in range(2, 60)]
    blocks = table_blocks(rows, "Table 1", 400)
    assert len(blocks) > 5
    assert all(len(b) <= 400 for b in blocks)
    assert all(b.startswith("Table 1, row") for b in blocks)
    assert all("Name: item" in b.splitlines()[1] for b in blocks)
    numbers = [line for b in blocks for line in b.splitlines()[1:]]
    assert len(numbers) == 58  # every row once


def test_layout_tables_read_as_text_and_merged_cells_once() -> None:
    assert table_blocks([Row(1, ["Cover title", "", ""])], "Table 1", 500) == ["Cover title"]
    rows = [Row(1, ["Role", "Role", "Duty"]), Row(2, ["Board", "Board", "Approves"])]
    (block,) = table_blocks(rows, "Table 1", 500)
    assert block.splitlines()[1] == "Role: Board; Duty: Approves."


def test_a_title_row_across_the_table_names_it() -> None:
    rows = [Row(1, ["Changes", "Changes"]), Row(2, ["New OS", "New database"])]
    (block,) = table_blocks(rows, "Table 2-1", 500)
    assert block.splitlines() == ["Table 2-1: Changes, row 2:", "New OS; New database."]


def test_tables_read_as_rows_are_counted_once_and_layout_tables_not_at_all() -> None:
    big = [Row(1, ["Name", "Note"])] + [Row(n, [f"item {n}", "x" * 80]) for n in range(2, 60)]
    small = [Row(1, ["Year", "Budget"]), Row(2, ["2022", "10"])]
    layout = [Row(1, ["Cover title", "", ""])]
    blocks = ["Intro.", *table_blocks(big, "Table 1", 400), *table_blocks(layout, "Table 2", 400)]
    blocks += table_blocks(small, "Table 3", 400)
    assert len(blocks) > 5
    assert count_tables(blocks) == 2
    assert count_tables(["Table 1, rows 2–3:\nYear: 2022."]) == 0  # text that only looks like one
