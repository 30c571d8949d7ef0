"""`sroi.report.run` end to end: HTML, results.json, executed notebook; failures; disclosure."""

import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from sroi import resources
from sroi.errors import SroiInputError
from sroi.report.disclosure import check_no_identifiers
from sroi.report.results import validate_results
from sroi.report.runner import ReportError, run
from tests.report.helpers import SAMPLE_DATA, SAMPLE_SPEC, sample_ids, write_small_evaluation

pytestmark = pytest.mark.slow


def test_run_writes_html_results_and_notebook(small_report):
    out, html = small_report
    assert html == out / "report.html" and html.exists()
    results = json.loads((out / "results.json").read_text())
    validate_results(results)
    nb = nbformat.read(str(out / "evaluation_report.ipynb"), as_version=4)
    assert all(c.get("outputs") is not None for c in nb.cells if c.cell_type == "code")
    text = html.read_text()
    # code hidden, figures embedded, headline first
    assert "nb.headline_section" not in text and "import " not in text.split("<body", 1)[1][:5000]
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 6
    assert text.index("Main outcome") < text.index("Impact by outcome") < text.index("Provenance")
    assert results["provenance"]["data_hash"] in text
    # self-contained: no scripts or stylesheets fetched from elsewhere
    assert not re.search(r'<script[^>]*src="https?://', text)
    assert not re.search(r'<link[^>]*href="https?://', text)


def test_no_identifier_in_any_output(small_report, small_ids):
    """Search every output file for every pupil and school id in the data."""
    out, _ = small_report
    files = sorted(p for p in out.iterdir() if p.is_file())
    assert {p.name for p in files} >= {
        "report.html",
        "results.json",
        "evaluation_report.ipynb",
        "value_model.xlsx",  # the live workbook (issue 14)
    }
    assert check_no_identifiers(files, small_ids, raise_on_found=False) == []


def test_missing_spec_and_unreadable_data_are_input_errors(tmp_path):
    with pytest.raises(SroiInputError, match="spec file not found"):
        run(tmp_path / "nope.yaml", tmp_path / "out", progress=False)
    spec = write_small_evaluation(tmp_path / "bad")
    (tmp_path / "bad" / "panel.csv").write_text("")
    with pytest.raises(SroiInputError, match="empty"):
        run(spec, tmp_path / "out", progress=False)
    with pytest.raises(SroiInputError, match="override"):
        run(spec, tmp_path / "out", parameters={"design.nosuch.x": 1}, progress=False)


def test_notebook_error_names_section_and_partial_notebook(tmp_path, small_spec_path):
    nb = nbformat.read(str(resources.notebook("evaluation_report.ipynb")), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("sroi_section") == "impact estimation":
            cell.source = "raise RuntimeError('boom in impact')"
    broken = tmp_path / "evaluation_report.ipynb"
    nbformat.write(nb, str(broken))
    with pytest.raises(ReportError) as info:  # default: the partial notebook is not kept
        run(small_spec_path, tmp_path / "gone", notebook=str(broken), progress=False)
    assert info.value.notebook is None and "partial notebook not kept" in str(info.value)
    assert not (tmp_path / "gone" / "evaluation_report.ipynb").exists()
    with pytest.raises(ReportError) as info, pytest.warns(UserWarning, match="do not share"):
        run(
            small_spec_path,
            tmp_path / "out",
            notebook=str(broken),
            progress=False,
            keep_failed=True,
        )
    err = info.value
    assert err.section == "impact estimation"
    assert "section 'impact estimation' failed" in str(err)
    assert "boom in impact" in str(err)
    assert err.notebook is not None and Path(err.notebook).exists()
    assert str(err.notebook) in str(err)
    assert not (tmp_path / "out" / "report.html").exists()


def test_sample_evaluation_end_to_end(tmp_path):
    html = run(SAMPLE_SPEC, tmp_path, progress=False)
    results = json.loads((tmp_path / "results.json").read_text())
    validate_results(results)
    head = results["effects"][0]
    assert head["outcome"] == "attendance" and head["primary"]
    eff = head["effect"]
    assert "group aggregation" in eff["estimand"]
    # the headline is close to the generator's true group-aggregated SATT
    truth = json.loads((SAMPLE_DATA / "truth.json").read_text())
    true_group = truth["outcomes"]["attendance_rate"]["satt"]["group"]["overall"]
    assert abs(eff["estimate"] - true_group) < 3 * eff["std_error"]
    assert results["value"]["headline"]["sroi_ratio"] is not None
    # permanent exclusion is too rare among 250 participants: its effect is shown, flagged
    # as not estimable, and left out of the valuation (not valued as if known)
    pex = next(e for e in results["effects"] if e["outcome"] == "permanent_exclusion")
    assert pex["effect"]["extra"]["estimable"] is False
    valued = {r["outcome"] for r in results["value"]["detail"]["by_outcome"]}
    assert "permanent_exclusion" not in valued
    # absence is valued once, through persistent absence (a published unit cost, issue 14)
    assert "persistent_absence" in valued and "attendance" not in valued
    assert (tmp_path / "value_model.xlsx").exists()
    assert any(
        x["outcome"] == "permanent_exclusion" for x in results["value"]["detail"]["excluded"]
    )
    ids = sample_ids()
    assert check_no_identifiers(sorted(tmp_path.iterdir()), ids, raise_on_found=False) == []
    text = html.read_text(encoding="utf-8")
    # matched design: comparison group with balance table, love plot and overlap plot
    assert "Balance: how similar the groups are" in text
    assert "Balance before and after matching" in text and "Overlap: propensity scores" in text
    assert results["diagnostics"]["balance"] and results["design"]["name"].startswith("matched")
    assert results["diagnostics"]["evidence"]["sms_level"] in (2, 3)


def test_value_rerun_from_saved_results(small_report, small_spec_path, tmp_path):
    """Finance re-run: saved effects + a changed assumption give a new value report."""
    from sroi.report.runner import run_value

    out, _ = small_report
    saved = json.loads((out / "results.json").read_text())
    html = run_value(
        small_spec_path,
        out / "results.json",
        tmp_path / "value",
        progress=False,
        parameters={"valuation.adjustments.attribution": 0.5},
    )
    assert html.name == "value_report.html" and html.exists()
    rerun = json.loads((tmp_path / "value" / "value_results.json").read_text())
    before = saved["value"]["headline"]["pv_benefits"]
    after = rerun["headline"]["pv_benefits"]
    # attribution 0.1 -> 0.5 scales the benefits by (1 - 0.5) / (1 - 0.1)
    assert after == pytest.approx(before * 0.5 / 0.9, rel=1e-6)
    assert "Value for money" in html.read_text()
    # `sroi value` reads the same file the same way: the same effects, the same value
    from sroi.cli import main

    cli_out = tmp_path / "cli" / "value.json"
    args = ["value", str(small_spec_path), "--impact", str(out / "results.json")]
    assert main([*args, "--set", "valuation.adjustments.attribution=0.5", "-o", str(cli_out)]) == 0
    cli = json.loads(cli_out.read_text())
    assert cli["pv_benefits"] == pytest.approx(after, rel=1e-12)
    # the same valuation; the CLI adds its Monte Carlo summary (issue 14 part 6)
    assert {k: v for k, v in cli.items() if k != "monte_carlo"} == rerun["value"]
    assert cli["monte_carlo"]["n_draws"] == 10_000
    with pytest.raises(SroiInputError, match="saved results not found"):
        run_value(small_spec_path, tmp_path / "none.json", tmp_path / "v2", progress=False)


def test_cli_run_exit_codes(tmp_path, capsys):
    from sroi.cli import main

    spec = write_small_evaluation(tmp_path / "nodata")
    (tmp_path / "nodata" / "pupils.csv").unlink()
    assert main(["run", str(spec), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("sroi: error:") and "data file not found" in err and "Traceback" not in err
    )


def test_cli_report_error_exits_1(monkeypatch, small_spec_path, tmp_path, capsys):
    import sroi.report
    from sroi.cli import main

    def boom(*args, **kwargs):
        raise ReportError(
            "section 'impact' failed: RuntimeError: x; partial notebook: /p.ipynb", section="impact"
        )

    monkeypatch.setattr(sroi.report, "run", boom)
    assert main(["run", str(small_spec_path), "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "section 'impact' failed" in err and "partial notebook" in err


# ------------------------------------------------------------- speed machinery (issue 17)
def test_prestarted_kernel_warm_up_is_invisible(tmp_path):
    """The warm-up import and the change of folder run before the first cell, bind no name
    and use no execution count; the cell runs in the output folder."""
    from sroi.report.kernel import start_kernel
    from sroi.report.runner import _execute

    template = tmp_path / "probe.ipynb"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os, sys\n"
                "print(os.getcwd(), 'json' in sys.modules, 'json' in dir(), 'sroi' in dir())"
            )
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbformat.write(nb, str(template))
    out = tmp_path / "out"
    out.mkdir()
    kernel = start_kernel(warm_up=("json",))
    ran = _execute(template, out / "probe.ipynb", {}, progress=False, timeout=120, kernel=kernel)
    cell = ran.cells[0]
    assert cell.execution_count == 1
    assert cell.outputs[0]["text"].split() == [str(out.resolve()), "True", "False", "False"]
    kernel.stop()  # killed by _execute already: nothing to do
    alive = kernel._run_sync(kernel.manager.is_alive)
    for _ in range(100):  # the process ends (shutdown must then still release it)
        if not alive():
            break
        time.sleep(0.05)
    assert not alive()
    kernel.shutdown()
    assert not kernel.manager.has_kernel
    kernel.shutdown()  # idempotent


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets (ZeroMQ ipc) exist on POSIX only")
def test_kernels_started_together_use_private_sockets():
    """Kernels started at once (as under ``sroi batch``) never share a TCP port: each talks
    over Unix sockets in its own folder, removed at shutdown. (A CI run lost a batch area to
    two kernels binding the same localhost port.)"""
    from sroi.report.kernel import start_kernel

    kernels = [start_kernel(warm_up=("json",)) for _ in range(3)]
    try:
        folders = {k._socket_dir for k in kernels}
        assert len(folders) == 3
        for k in kernels:
            assert k.manager.transport == "ipc"
            assert k.manager.ip.startswith(k._socket_dir)
            k.wait(timeout=120)
            assert k._run_sync(k.manager.is_alive)()
    finally:
        for k in kernels:
            k.shutdown()
    assert not any(os.path.exists(f) for f in folders)


def test_papermills_client_is_ready_once_its_iopub_channel_is_live():
    """The readiness check (without jupyter_client's 0.2 s wait for a silent IOPub channel)
    leaves the client subscribed: the output of a request sent at once arrives, with its
    'idle' status; a client of a dead kernel is refused."""
    from jupyter_core.utils import run_sync

    from sroi.report.kernel import start_kernel

    kernel = start_kernel(warm_up=("json",))
    try:
        kernel.wait(timeout=120)
        for _ in range(3):  # fresh clients, as papermill makes one
            client = kernel.manager.client()
            client.start_channels()
            run_sync(client.wait_for_ready)(timeout=60)
            msg_id = client.execute("print('live', 6 * 7)")
            seen = []
            while not seen or seen[-1] != "idle":
                msg = run_sync(client.get_iopub_msg)(timeout=10)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    seen.append(msg["content"]["text"].strip())
                elif msg["msg_type"] == "status":
                    seen.append(msg["content"]["execution_state"])
            assert seen == ["busy", "live 42", "idle"]
            client.stop_channels()
        kernel.stop()
        client = kernel.manager.client()
        client.start_channels()
        with pytest.raises(RuntimeError, match="Kernel died"):
            run_sync(client.wait_for_ready)(timeout=30)
        client.stop_channels()
    finally:
        kernel.shutdown()


def test_prestarted_kernel_wait_times_out():
    from sroi.report.kernel import start_kernel

    kernel = start_kernel(warm_up=("time",))
    try:
        kernel.wait(timeout=120)  # the warm-up is done
        kernel.chdir(".")
        kernel._silent("__import__('time').sleep(30)")
        with pytest.raises(TimeoutError, match="warm-up took more than 0.5 s"):
            kernel.wait(timeout=0.5)
    finally:
        kernel.shutdown()


def test_alongside_handles_results_once_complete(tmp_path):
    import time

    from sroi.report.alongside import Alongside

    results = tmp_path / "results.json"
    seen = []
    job = Alongside(results, lambda p: seen.append(p.read_text()))
    job.start()
    results.write_text('{"a": [1, 2')  # cut off: not handled yet
    time.sleep(0.5)
    assert seen == [] and job.is_alive()
    results.write_text('{"a": [1, 2]}\n')
    assert job.finish() is True
    assert seen == ['{"a": [1, 2]}\n'] and job.handled


def test_alongside_errors_reach_the_caller(tmp_path):
    from sroi.report.alongside import Alongside

    results = tmp_path / "results.json"
    results.write_text("{}")

    def fail(path):
        raise OSError(f"cannot write beside {path.name}")

    job = Alongside(results, fail)
    job.start()
    with pytest.raises(OSError, match="cannot write beside results.json"):
        job.finish()
    # after a failed notebook the caller abandons the thread: nothing handled, nothing raised
    idle = Alongside(tmp_path / "never.json", fail)
    idle.start()
    assert idle.abandon() is False
