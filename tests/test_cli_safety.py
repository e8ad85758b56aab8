"""The command line never loses or corrupts data and never prints hostile control characters.

Outputs are replaced only on success and never overwrite an input; records are read strictly and
in bounded pieces; one number grammar; every failure is one line; names are escaped on the
terminal and text cells of the output CSV are neutralised against formula injection.
"""

import csv
import io
import os
import re
import resource
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import embedsum
from embedsum.cli import _csv_records as csv_records
from embedsum.cli import _csv_types as csv_types
from embedsum.cli._main import main
from embedsum.cli._named_columns import _NamedColumns
from embedsum.inspection._describe import printable
from embedsum.persistence._writer import save

ROOT = Path(embedsum.__file__).resolve().parents[1]  # the tree under test, not an installed copy
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
# Every C0 and C1 control and DEL: what printable must never let through.
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]


def run(*args, stdin=None, **options):
    return subprocess.run([sys.executable, "-m", "embedsum", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=300, stdin=stdin, **options)


def cli(capsys, *args):
    """``(exit status, stdout, stderr)`` of main in this process; an escaping exception is named, not raised."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:  # what the code before this file let through (MemoryError, KeyboardInterrupt)
        code = f"raised {type(exc).__name__}"
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(err: str) -> bool:
    return err.startswith("embedsum: error: ") and err.endswith("\n") and err.count("\n") == 1 \
        and "Traceback" not in err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A training CSV of two numeric columns, a model fitted on it, and a file of features."""
    tmp = tmp_path_factory.mktemp("safety")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).tolist()
    with open(tmp / "train.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "y"])
        writer.writerows([repr(a), repr(b), int(a + b > 0)] for a, b in X)
    assert main(["fit", str(tmp / "train.csv"), "--target", "y", "-o", str(tmp / "model.json"), "--quiet",
                 "--max-bins", "4"]) == 0
    with open(tmp / "features.csv", "w", newline="") as f:
        f.write("a,b\n" + "".join(f"{a!r},{b!r}\n" for a, b in X[:50]))
    return tmp


# --- 1. outputs: never an input, replaced only on success ------------------------------------------


def _same_file(kind, tmp_path, target):
    if kind == "same path":
        return target
    other = tmp_path / f"{kind.replace(' ', '_')}.out"
    if kind == "symlink":
        other.symlink_to(target)
    else:
        os.link(target, other)
    return other


@pytest.mark.parametrize("kind", ["same path", "symlink", "hard link"])
@pytest.mark.parametrize("command", ["predict -o data", "predict -o model", "fit -o data", "export -o model"])
def test_an_output_that_is_an_input_is_refused_before_anything_is_written(files, tmp_path, capsys, kind, command):
    for name in ("model.json", "features.csv", "train.csv"):
        (tmp_path / name).write_bytes((files / name).read_bytes())
    model, features, train = tmp_path / "model.json", tmp_path / "features.csv", tmp_path / "train.csv"
    args = {
        "predict -o data": lambda: ["predict", model, features, "-o", _same_file(kind, tmp_path, features)],
        "predict -o model": lambda: ["predict", model, features, "-o", _same_file(kind, tmp_path, model)],
        "fit -o data": lambda: ["fit", train, "--target", "y", "-o", _same_file(kind, tmp_path, train), "--quiet"],
        "export -o model": lambda: ["export", model, "--lang", "python", "-o", _same_file(kind, tmp_path, model)],
    }[command]()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, _, err = cli(capsys, *args)
    assert code == 2 and one_line_error(err), err
    assert "(the same file)" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def _bad_in_the_middle(path, n=40, bad_row=25):
    lines = [f"{i * 0.1!r},{-i * 0.1!r}\n" for i in range(n)]
    lines[bad_row] = "0.5,oops\n"
    path.write_text("a,b\n" + "".join(lines))


def test_a_failed_predict_leaves_the_old_output_and_no_temporary_file(files, tmp_path, capsys):
    _bad_in_the_middle(tmp_path / "bad.csv")
    (tmp_path / "out.csv").write_text("the previous scores\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    # Chunks of 4 rows: six chunks are written before the bad row is read.
    code, _, err = cli(capsys, "predict", files / "model.json", tmp_path / "bad.csv", "-o", tmp_path / "out.csv",
                       "--chunk-rows", 4)
    assert code == 1 and one_line_error(err) and "'oops' on line 27" in err, (code, err, _)
    assert (tmp_path / "out.csv").read_text() == "the previous scores\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    # a new output that fails is not created at all
    code, _, _ = cli(capsys, "predict", files / "model.json", tmp_path / "bad.csv", "-o", tmp_path / "new.csv",
                     "--chunk-rows", 4)
    assert code == 1 and sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_interrupted_predict_leaves_the_old_output_and_no_temporary_file(files, tmp_path, capsys, monkeypatch):
    import embedsum.cli._predict_command as cli_module

    blocks, named = [], cli_module._named

    def interrupt_on_the_third_block(block, names):
        blocks.append(len(block))
        if len(blocks) == 3:
            raise KeyboardInterrupt
        return named(block, names)

    monkeypatch.setattr(cli_module, "_named", interrupt_on_the_third_block)
    (tmp_path / "out.csv").write_text("the previous scores\n")
    code, _, err = cli(capsys, "predict", files / "model.json", files / "features.csv", "-o", tmp_path / "out.csv",
                       "--chunk-rows", 10)
    assert blocks == [10, 10, 10]
    assert code == 130 and err == "embedsum: interrupted\n"
    assert (tmp_path / "out.csv").read_text() == "the previous scores\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_successful_run_replaces_the_output_keeps_links_and_permissions(files, tmp_path, capsys):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _, err = cli(capsys, "predict", files / "model.json", files / "features.csv", "-o", link)
    assert code == 0, err
    assert link.is_symlink() and len(real.read_text().splitlines()) == 51
    assert os.stat(real).st_mode & 0o777 == 0o640
    # a new file gets what open() would give (the umask), not a temporary file's 0600
    mask = os.umask(0o022)
    os.umask(mask)
    assert cli(capsys, "export", files / "model.json", "--lang", "c", "-o", tmp_path / "m.h")[0] == 0
    assert os.stat(tmp_path / "m.h").st_mode & 0o777 == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "m.h", "real.csv"]


def test_outputs_that_are_not_regular_files_are_written_through(files):
    out = run("predict", files / "model.json", files / "features.csv", "-o", "/dev/stdout")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 51
    assert run("export", files / "model.json", "--lang", "c", "-o", os.devnull).returncode == 0


def test_standard_output_still_streams(files, tmp_path, capsys):
    _bad_in_the_middle(tmp_path / "bad.csv")
    code, out, err = cli(capsys, "predict", files / "model.json", tmp_path / "bad.csv", "--chunk-rows", 4)
    assert code == 1 and one_line_error(err)
    assert len(out.splitlines()) == 1 + 24  # the header and the six chunks scored before the bad row
    code, out, _ = cli(capsys, "export", files / "model.json", "--lang", "python", "-o", "-")
    assert code == 0 and "def decision_function" in out


# --- 2. bounded memory per record ------------------------------------------------------------------


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: reading /dev/zero whole fails fast


def test_a_line_without_end_is_a_one_line_error_not_a_memory_error(files):
    out = run("predict", files / "model.json", "/dev/zero", preexec_fn=_limit_memory)
    assert out.returncode == 1 and one_line_error(out.stderr), out.stderr[-500:]
    assert "line 1 of /dev/zero is longer than 1048576 bytes" in out.stderr
    assert "--max-line-bytes" in out.stderr


def test_a_huge_file_without_line_break_names_its_line(files, tmp_path, capsys):
    (tmp_path / "long.csv").write_text("a,b\n1,2\n" + "3" * (3 << 20))
    code, _, err = cli(capsys, "predict", files / "model.json", tmp_path / "long.csv")
    assert code == 1 and one_line_error(err), err
    assert "line 3 of " in err and "longer than 1048576 bytes" in err


def test_fields_up_to_the_limit_are_read_and_the_limits_can_be_raised(files, tmp_path, capsys):
    field_limit = csv.field_size_limit()
    big = "x" * 200_000  # past the csv module's default field limit (131072)
    # An extra column of long notes: predict ignores it, but reads it.
    (tmp_path / "wide.csv").write_text(f"a,note,b\n1,{big},2\n3,\"{big}\n{big}\",4\n5,q,6\n")
    code, out, err = cli(capsys, "predict", files / "model.json", tmp_path / "wide.csv")
    assert code == 0, err
    model = embedsum.load(files / "model.json")
    expected = model.predict_proba(_NamedColumns(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), ["a", "b"]))[:, 1]
    assert [float(r[0]) for r in list(csv.reader(io.StringIO(out)))[1:]] == expected.tolist()
    huge = "y" * (2 << 20)
    (tmp_path / "huge.csv").write_text(f"a,note,b\n1,q,2\n3,\"{huge}\",4\n")
    code, _, err = cli(capsys, "predict", files / "model.json", tmp_path / "huge.csv", "-o", tmp_path / "p.csv")
    assert code == 1 and one_line_error(err)
    assert "line 3 of" in err and "longer than 1048576 bytes" in err and "--max-line-bytes" in err
    code, _, err = cli(capsys, "predict", files / "model.json", tmp_path / "huge.csv", "-o", tmp_path / "p.csv",
                       "--max-line-bytes", 4 << 20)
    assert code == 1 and one_line_error(err)
    assert "line 3 of" in err and "a field longer than 1048576 bytes" in err and "--max-field-bytes" in err
    code, _, err = cli(capsys, "predict", files / "model.json", tmp_path / "huge.csv", "-o", tmp_path / "p.csv",
                       "--max-line-bytes", 4 << 20, "--max-field-bytes", 4 << 20)
    assert code == 0, err
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 3
    assert csv.field_size_limit() == field_limit  # process-wide state left alone


@pytest.mark.parametrize("command", ["fit", "predict", "explain"])
def test_help_documents_the_limits(command):
    out = run(command, "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "--max-line-bytes N" in text and "--max-field-bytes N" in text
    assert "default 1048576 = 1 MiB" in text


@pytest.mark.parametrize("option", ["--max-line-bytes", "--max-field-bytes", "--chunk-rows"])
@pytest.mark.parametrize("value", ["0", "-5", "big"])
def test_limits_must_be_positive_integers(files, capsys, option, value):
    code, _, err = cli(capsys, "predict", files / "model.json", files / "features.csv", option, value)
    assert code == 2 and f"argument {option}: expected an integer >= 1" in err


# --- 3. strict CSV --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ('a,b\n1,2\n3,"4\n5,6\n', 'line 3 of .* opens a quoted field that is never closed'),
        ("a,b\n1,2\n3,4\x00\n", "line 3 of .* holds a NUL byte"),
        ("a,b\n1,2\n3,4,5\n", "line 3 of .* has 3 fields, the header has 2"),
        ('a,b\n1,"2\n"\n3,4,5\n', "line 4 of .* has 3 fields"),  # a quoted line break counts as a line
        ("a,b\n1,2\n\n3,4\n", "line 3 of .* has 1 field, the header has 2"),  # never skipped
        ('a,b\n1,2\n3,4"x"\n', "line 3 of .* a quote inside an unquoted field"),
        ('a,b\n1,"2"x\n', "line 2 of .* text after the closing quote"),
        ("a,b\n1,2\r3,4\n", "line 2 of .* carriage return outside quotes"),
        ("a,b\n1,caf\xe9\n".encode("latin-1"), "line 2 of .* is not UTF-8 text \\(byte 0xe9\\)"),
    ],
)
def test_broken_csv_is_a_one_line_error_naming_the_line(files, tmp_path, capsys, text, message):
    path = tmp_path / "broken.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, _, err = cli(capsys, "predict", files / "model.json", path, "-o", tmp_path / "p.csv")
    assert code == 1 and one_line_error(err), err
    assert re.search(message, err), err
    assert not (tmp_path / "p.csv").exists()


def test_a_nul_byte_in_a_text_column_is_an_error_too(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("proto,y\n" + "tcp,0\nudp,1\n" * 10 + "u\x00dp,1\n")
    code, _, err = cli(capsys, "fit", tmp_path / "t.csv", "--target", "y", "-o", tmp_path / "m.json")
    assert code == 1 and "line 22 of" in err and "NUL byte" in err


def test_rows_in_equal_rows_out_blank_lines_of_a_one_column_file_are_missing_values(tmp_path, capsys):
    X = np.random.default_rng(0).normal(size=(100, 1))
    save(embedsum.EmbeddingSumClassifier(max_bins=4).fit(_NamedColumns(X, ["a"]), X[:, 0] > 0), tmp_path / "m.json")
    (tmp_path / "one.csv").write_text("a\n1.5\n\n-2\n\n")
    code, out, err = cli(capsys, "predict", tmp_path / "m.json", tmp_path / "one.csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    model = embedsum.load(tmp_path / "m.json")
    expected = model.predict_proba(_NamedColumns(np.array([[1.5], [np.nan], [-2.0], [np.nan]]), ["a"]))[:, 1]
    assert len(rows) == 5 and [float(r[0]) for r in rows[1:]] == expected.tolist()


# Text cells: anything but NUL, including commas, quotes, CR, LF and other scripts.
cells = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@given(st.integers(1, 4).flatmap(lambda k: st.lists(st.lists(cells, min_size=k, max_size=k), min_size=1,
                                                    max_size=8)),
       st.sampled_from([("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL)]))
def test_records_read_back_exactly_what_csv_writer_wrote(rows, style):
    import tempfile

    # csv.writer quotes CR and LF only when they are in its line terminator: LF alone needs QUOTE_ALL.
    terminator, quoting = style
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator, quoting=quoting).writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "d.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(buffer.getvalue())
        records = list(csv_records.iter_records(path))
    assert [fields for _, fields in records] == rows
    # each record is numbered by its first line; a quoted line break moves the next one down
    numbers = [1]
    for row in rows[:-1]:
        numbers.append(numbers[-1] + 1 + sum(c.count("\n") for c in row))
    assert [line for line, _ in records] == numbers


# --- 4. one number grammar; labels ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["2024_01", "1_000.5", "\u0663", "\u0661\u0662", "\uff11\uff12", "\u00b2", " 1",
                                  "1 ", "+nan", "-nan", "0x10", "1e", ".", "e5", "--1", "1.2.3", "infinit", "\u0131nf"])
def test_text_that_python_float_may_accept_is_not_a_number(text):
    assert csv_types.parse_number(text) is None


@pytest.mark.parametrize("text, value", [("1.", 1.0), (".5", 0.5), ("-1E+3", -1000.0), ("+7", 7.0), ("INF", np.inf),
                                         ("-Infinity", -np.inf), ("+inf", np.inf), ("007", 7.0), ("1e400", np.inf)])
def test_plain_ascii_numbers_and_the_words_are_numbers(text, value):
    assert csv_types.parse_number(text) == value
    assert np.isnan(csv_types.parse_number("NaN"))


@given(st.floats(allow_nan=False))
def test_every_float_written_by_repr_reads_back_exactly(value):
    assert csv_types.parse_number(repr(value)) == value
    assert csv_types.parse_number(f"{value:e}") == float(f"{value:e}")


@given(st.text(st.characters(min_codepoint=0x80), min_size=1, max_size=5))
def test_a_token_with_any_non_ascii_character_is_text(text):
    assert csv_types.parse_number("1" + text) is None and csv_types.parse_number(text) is None


def test_underscored_and_non_ascii_digits_make_a_text_column(tmp_path, capsys):
    months = ["2024_01", "2024_02"] * 15
    (tmp_path / "d.csv").write_text("month,y\n" + "".join(f"{m},{i % 2}\n" for i, m in enumerate(months)))
    code, _, err = cli(capsys, "fit", tmp_path / "d.csv", "--target", "y", "-o", tmp_path / "m.json", "--quiet")
    assert code == 0, err
    model = embedsum.load(tmp_path / "m.json")
    assert model.is_categorical_.tolist() == [True]
    assert model.categories_[0].tolist() == ["2024_01", "2024_02"]
    assert csv_types.detect_task(["\u0661", "2.5"]) == "classification"


def test_one_and_one_point_zero_are_one_class_of_a_numeric_target(tmp_path, capsys):
    rows = [(i * 0.1, ["1", "1.0", "0", "0.0"][i % 4]) for i in range(40)]
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{x!r},{y}\n" for x, y in rows))
    code, _, err = cli(capsys, "fit", tmp_path / "d.csv", "--target", "y", "-o", tmp_path / "m.json", "--quiet",
                       "--max-bins", 4)
    assert code == 0, err
    assert embedsum.load(tmp_path / "m.json").classes_.tolist() == [0, 1]
    assert csv_types.parse_labels(["1", "1.0", "1e0", "0"]).tolist() == [1, 1, 1, 0]
    big = str(2**62 + 1)  # exact, not through a float
    assert csv_types.parse_labels([big, "0"]).tolist() == [2**62 + 1, 0]


def test_a_text_target_keeps_its_strings(tmp_path, capsys):
    rows = [(i * 0.1, ["007", "7", "seven"][i % 3]) for i in range(60)]
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{x!r},{y}\n" for x, y in rows))
    code, _, err = cli(capsys, "fit", tmp_path / "d.csv", "--target", "y", "-o", tmp_path / "m.json", "--quiet",
                       "--max-bins", 4)
    assert code == 0, err
    assert embedsum.load(tmp_path / "m.json").classes_.tolist() == ["007", "7", "seven"]
    assert csv_types.parse_labels(["1", "1.0", "one"]).tolist() == ["1", "1.0", "one"]


# --- 5. every failure is one line -----------------------------------------------------------------


@pytest.mark.parametrize("error", [MemoryError(), MemoryError("cannot allocate"), csv.Error("bad quoting"),
                                   UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
                                   OSError(28, "No space left on device"), RuntimeError("unexpected\nsecond line"),
                                   KeyError("x")])
def test_any_exception_is_one_line_with_status_1(files, capsys, monkeypatch, error):
    import embedsum.persistence._reader

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(embedsum.persistence._reader, "load", fail)
    code, out, err = cli(capsys, "show", files / "model.json")
    assert code == 1 and one_line_error(err), err
    if isinstance(error, MemoryError):
        assert "out of memory" in err
    if isinstance(error, RuntimeError):
        assert "RuntimeError: unexpected\\x0asecond line" in err


def test_a_directory_or_a_missing_file_is_one_line(files, tmp_path, capsys):
    for args in (["predict", files / "model.json", tmp_path], ["show", tmp_path / "nope.json"],
                 ["predict", files / "model.json", files / "features.csv", "-o", tmp_path / "no" / "such.csv"]):
        code, _, err = cli(capsys, *args)
        assert code == 1 and one_line_error(err), err


@pytest.mark.parametrize("command", ["explain", "predict", "show"])
def test_a_closed_pipe_ends_quietly(files, command):
    args = {"explain": ["explain", files / "model.json", files / "features.csv", "--row", 0],
            "predict": ["predict", files / "model.json", files / "features.csv"],
            "show": ["show", files / "model.json"]}[command]
    process = subprocess.Popen([sys.executable, "-m", "embedsum", *map(str, args)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=ENV)
    process.stdout.close()  # before the command writes anything: every write meets a closed pipe
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 1
    assert err == ""


class _CountingName(str):
    """A column name that counts how often it is compared or hashed."""

    calls = Counter()

    def strip(self):
        return self

    def __eq__(self, other):
        _CountingName.calls["eq"] += 1
        return str.__eq__(self, other)

    def __hash__(self):
        _CountingName.calls["hash"] += 1
        return str.__hash__(self)


def test_duplicate_column_names_are_found_in_linear_work():
    n = 3000
    names = [_CountingName(f"column_{i}") for i in range(n)] + [_CountingName("column_7"), _CountingName("column_9")]
    _CountingName.calls.clear()
    with pytest.raises(ValueError, match=r"duplicate column names \['column_7', 'column_9'\]"):
        csv_records._header(iter([(1, names)]), "wide.csv")
    # A pairwise comparison (list.count for each name) would compare about n * n = 9,000,000 times.
    assert sum(_CountingName.calls.values()) < 10 * n, _CountingName.calls
    many = [_CountingName(f"c{i % 20}") for i in range(200)]
    with pytest.raises(ValueError, match=r"duplicate column names \['c0', 'c1', .*\] and 10 more"):
        csv_records._header(iter([(1, many)]), "wide.csv")


@pytest.mark.parametrize("args", [["show", "{model}", "--top", "-1"], ["explain", "{model}", "{data}", "--row", "-1"],
                                  ["demo", "--top", "-3"]])
def test_negative_counts_are_usage_errors(files, capsys, args):
    code, _, err = cli(capsys, *[a.format(model=files / "model.json", data=files / "features.csv") for a in args])
    assert code == 2 and "expected an integer >= 0" in err


# --- 6. control characters on the terminal, formulas in the output CSV -----------------------------


def test_printable_escapes_every_control_character_and_keeps_the_rest():
    assert printable("".join(CONTROLS)) == "".join(f"\\x{ord(c):02x}" for c in CONTROLS[:33]) + "".join(
        f"\\u{ord(c):04x}" for c in CONTROLS[33:])
    assert printable("\x1b[31mred\x07") == "\\x1b[31mred\\x07" and printable("a\x9bb") == "a\\u009bb"
    assert printable("\u202eevil\u2028") == "\\u202eevil\\u2028"
    assert printable("C:\\data\\événement │ █ 東京") == "C:\\data\\événement │ █ 東京"


@given(st.text())
def test_printable_output_holds_no_control_character(text):
    shown = printable(text)
    assert not any(c in shown for c in CONTROLS)
    assert printable(shown) == shown
    if not any(c in text for c in CONTROLS):
        assert shown == text


HOSTILE = ["\x1b[2J\x1b[31mfeat", "bell\x07\rover", "two\nlines", "c1\x9b31m", "del\x7f"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A CSV whose header, categories and labels hold control characters, and a model fitted on it."""
    tmp = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(2)
    with open(tmp / "d.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([HOSTILE[0], HOSTILE[2], "y"])
        for i in range(120):
            x = rng.normal()
            writer.writerow([repr(x), HOSTILE[3] if i % 2 else HOSTILE[4], HOSTILE[1] if x > 0 else "ok\x1b]0;t\x07"])
    out = run("fit", tmp / "d.csv", "--target", "y", "-o", tmp / "m.json", "--max-bins", 4,
              "--min-category-count", 1)
    assert out.returncode == 0, out.stderr
    return tmp


def _clean(text: str) -> bool:
    return not any(c in text for c in CONTROLS if c != "\n")


@pytest.mark.parametrize("command", ["show", "explain"])
def test_names_from_files_reach_the_terminal_escaped(hostile, command):
    args = {"show": ["show", hostile / "m.json"],
            "explain": ["explain", hostile / "m.json", hostile / "d.csv", "--row", 1]}[command]
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert _clean(out.stdout), out.stdout
    assert "\\x1b[2J\\x1b[31mfeat" in out.stdout
    assert "two\\x0alines" in out.stdout  # one line, not two
    assert not any(line.startswith("lines") for line in out.stdout.splitlines())
    # a category: printable's escape in show, the value's repr in explain; neither is the raw character
    assert ("c1\\u009b31m" if command == "show" else "'c1\\x9b31m'") in out.stdout


def test_error_messages_are_escaped(hostile, tmp_path):
    name = tmp_path / "x\x1b[2J\nfake line.csv"
    name.write_text("")
    out = run("predict", hostile / "m.json", name)
    assert out.returncode == 1 and one_line_error(out.stderr) and _clean(out.stderr), out.stderr
    assert "x\\x1b[2J\\x0afake line.csv is empty" in out.stderr
    (tmp_path / "dup.csv").write_text("a\x9b,a\x9b\n1,2\n")
    out = run("predict", hostile / "m.json", tmp_path / "dup.csv")
    assert out.returncode == 1 and one_line_error(out.stderr) and _clean(out.stderr), out.stderr


def _model_with_labels(tmp_path, labels):
    X = np.random.default_rng(4).normal(size=(90, 1))
    k = len(labels)
    groups = np.digitize(X[:, 0], np.quantile(X[:, 0], np.arange(1, k) / k))
    y = np.array([labels[g] for g in groups])
    save(embedsum.EmbeddingSumClassifier(max_bins=4).fit(X, y), tmp_path / "m.json")
    (tmp_path / "x.csv").write_text("x0\n" + "".join(f"{v!r}\n" for v in X[:, 0].tolist()))
    return embedsum.load(tmp_path / "m.json"), X


@pytest.mark.parametrize("labels", [["=cmd|' /C calc'!A0", "+SUM(1)", "-2 benign"], ["@A1", "\tTAB", "\rCR"],
                                    ["line\nbreak", "cr\rinside", "=x\n+y"]])
def test_text_labels_that_start_a_formula_are_neutralised_by_default(tmp_path, capsys, labels):
    model, X = _model_with_labels(tmp_path, labels)
    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp_path / "x.csv", "-o", tmp_path / "p.csv")
    assert code == 0, err
    with open(tmp_path / "p.csv", newline="") as f:
        rows = list(csv.reader(f))
    classes = model.classes_.tolist()
    assert rows[0] == [f"proba_{c}" for c in classes] + ["label"]
    # CR and LF inside a label stay inside one quoted field: one record per row
    assert len(rows) == len(X) + 1
    assert [r[-1] for r in rows[1:]] == [("'" + v if v[0] in "=+-@\t\r" else v) for v in model.predict(X).tolist()]
    assert np.array_equal(np.array([[float(v) for v in r[:-1]] for r in rows[1:]]), model.predict_proba(X))
    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp_path / "x.csv", "-o", tmp_path / "raw.csv",
                       "--no-neutralize-formulas")
    assert code == 0, err
    with open(tmp_path / "raw.csv", newline="") as f:
        assert [r[-1] for r in list(csv.reader(f))[1:]] == model.predict(X).tolist()


def test_numbers_are_never_neutralised(tmp_path, capsys):
    from embedsum.cli._predict_command import _prediction_writer

    model, X = _model_with_labels(tmp_path, [-1, 1])
    code, out, err = cli(capsys, "predict", tmp_path / "m.json", tmp_path / "x.csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["proba_1", "label"] and {r[1] for r in rows[1:]} == {"-1", "1"}
    regressor = embedsum.EmbeddingSumRegressor(max_bins=4).fit(X, -5 - X[:, 0])
    header, lines = _prediction_writer(regressor)
    assert header == "prediction\n" and lines(X).splitlines() == [repr(v) for v in regressor.predict(X).tolist()]
    assert all(line.startswith("-") for line in lines(X).splitlines())
