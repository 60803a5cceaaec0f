"""Theory beside practice: do real DANTE and SGD iterates satisfy the SLQC inequality the paper claims?

During DANTE and SGD training (one hidden layer, digits and the Fashion-MNIST subset) the
instruments of :mod:`dante.instruments` measure, about four times per data pass, for every layer
``l`` the layer problem ``f(W_l)`` (other layers fixed) against the reference ``W_l*`` = the final
weights of the run:

* ``kappa_cond2@eps = eps ||g|| / <g, W_l - W_l*>``: the smallest kappa for which condition 2 of
  Definition 4 holds at this iterate (``inf`` when the gradient points away from ``W_l*``);
* the cosine between ``g`` and ``W_l - W_l*``;
* the claimed kappa of the matching theorem (:func:`dante.claims.claimed_kappa`), with the output
  unit of the theorems' setting (:func:`experiments.protocol.paper_output`: the hidden activation under the squared
  loss, as in the paper): Theorem 3 (output layer, leaky ReLU, MSE), Theorem 5 (first layer of a one-hidden-layer net), the sigmoid
  GLM of Hazan et al. (output layer, sigmoid, MSE), Theorem 7 (softmax + cross-entropy), or none;
* whether SLQC held at the claimed kappa, and through which condition: (1) ``f - f* <= eps``
  (already eps-optimal, says nothing about the geometry) or (2) the gradient inequality.

Outputs: a table of fractions per (dataset, activation/loss, method, layer), plots of the kappa
estimates (log scale, with the claimed kappa as a dashed line) and of the cosines against
the iteration.

Usage: ``python -m experiments.theory_vs_practice [--quick|--full] [--out DIR] [--seeds N]
[--data-dir DIR] [--datasets digits,fashion-mnist]``
"""

from __future__ import annotations

import math
import re
import statistics
import sys
from collections.abc import Sequence
from typing import Any

from . import cli, sizes
from .figure_protocol import AUTO, n_inputs, n_outputs, prepare, resolve_datasets
from .plots import DPI, NullFormatter, plt
from .protocol import LABELS, lr_grid, paper_output, run_setting
from .report import Report, fmt_grid, md_table

NAME = "theory_vs_practice"


#: the theorems' setting (:func:`experiments.protocol.paper_output`): under the squared loss the output
#: unit has the hidden activation, cross-entropy keeps the logits
PAPER_OUTPUT = paper_output
VARIANTS = (("leaky_relu", "mse"), ("sigmoid", "mse"), ("leaky_relu", "cross_entropy"))
METHODS = ("dante", "sgd")
EPS = (0.01, 0.1)
INSTRUMENT_SAMPLES = 1000
AT_REF_TOL = 1e-12  # ||W_l - W_l*||_F at or below this: the layer is at its reference
KEY = re.compile(r"^layer(\d+)\.full\.(.+)$")


def _num(v: Any) -> float | None:
    if v is None:
        return None
    if v == "inf":
        return math.inf
    if v == "-inf":
        return -math.inf
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def layer_series(records: Sequence[dict[str, Any]]) -> dict[int, dict[str, list]]:
    """Per layer, the ``full``-source quantities as lists aligned with ``step``.

    Returns:
        ``{l: {"step": [...], "weights_updated": [...], "<quantity>": [...]}}`` (``None`` where a
        record lacks the quantity).
    """
    out: dict[int, dict[str, list]] = {}
    for rec in records:
        if rec.get("kind", "instrument") != "instrument":
            continue
        per: dict[int, dict[str, Any]] = {}
        for k, v in rec.items():
            m = KEY.match(k)
            if m:
                per.setdefault(int(m.group(1)), {})[m.group(2)] = v
        for l, q in per.items():
            s = out.setdefault(l, {"step": [], "weights_updated": [], "loss": []})
            n = len(s["step"])
            s["step"].append(rec.get("step"))
            s["weights_updated"].append(rec.get("weights_updated"))
            s["loss"].append(_num(rec.get("full.loss")))
            for name, v in q.items():
                col = s.setdefault(name, [None] * n)
                col.append(v)
            for name, col in s.items():
                if len(col) < n + 1:
                    col.append(None)
    return out


def layer_stats(series: dict[str, list], eps: float) -> dict[str, Any]:
    """Fractions and medians for one layer at one ``eps`` (over the logged iterates).

    Iterates with ``W_l = W_l*`` are excluded (``n_at_reference``). ``held`` counts iterates with
    a claimed kappa where Definition 4 held; ``below_ref`` the share where ``f < f(W*)`` (the
    final weights are then not the minimizer of this layer problem, as the theorems assume, and
    condition 1 holds trivially); ``held_by_2`` those where
    the gradient inequality (condition 2) held at the claimed kappa; ``cond1`` those where
    ``f - f* <= eps``. ``inner_pos`` is the fraction where ``<g, W - W*> > 0`` (some finite kappa
    works).
    """
    e = f"{eps:g}"
    kap = [_num(v) for v in series.get(f"kappa_cond2@{e}", [])]
    claimed = [_num(v) for v in series.get(f"claimed_kappa@{e}", [])]
    holds = series.get(f"slqc@{e}", [])
    cos = [_num(v) for v in series.get("cosine", [])]
    loss = series.get("loss", [])
    lref = [_num(v) for v in series.get("loss_ref", [])]
    dist = [_num(v) for v in series.get("dist", [])]
    n_all = len(series.get("step", []))
    # Iterates where this layer already sits at its reference (W_l = W_l*: DANTE after the layer's
    # last phase) say nothing about the geometry; they are counted apart and left out below.
    at_ref = {i for i in range(n_all) if i < len(dist) and dist[i] is not None and dist[i] <= AT_REF_TOL}
    idx = [i for i in range(n_all) if i not in at_ref]
    n = len(idx)
    with_claim = [i for i in idx if i < len(claimed) and claimed[i] is not None and math.isfinite(claimed[i])]
    held = [i for i in with_claim if i < len(holds) and holds[i] is True]
    cond1 = [i for i in idx if i < len(lref) and lref[i] is not None and loss[i] is not None
             and loss[i] - lref[i] <= eps]
    below = [i for i in idx if i < len(lref) and lref[i] is not None and loss[i] is not None and loss[i] < lref[i]]
    held2 = [i for i in with_claim if kap[i] is not None and 0 < kap[i] <= claimed[i]]
    finite_k = [kap[i] for i in idx if i < len(kap) and kap[i] is not None and math.isfinite(kap[i]) and kap[i] > 0]
    finite_c = [cos[i] for i in idx if i < len(cos) and cos[i] is not None and math.isfinite(cos[i])]
    sources = sorted({str(v) for v in series.get(f"claim@{e}", []) if v is not None})
    return {
        "eps": eps, "n": n, "n_at_reference": len(at_ref), "n_with_claim": len(with_claim),
        "held": len(held) / len(with_claim) if with_claim else None,
        "held_by_2": len(held2) / len(with_claim) if with_claim else None,
        "cond1": len(cond1) / n if n else None,
        "below_ref": len(below) / n if n else None,
        "inner_pos": len(finite_k) / n if n else None,
        "median_kappa_est": statistics.median(finite_k) if finite_k else None,
        "median_claimed": statistics.median([claimed[i] for i in with_claim]) if with_claim else None,
        "median_cosine": statistics.median(finite_c) if finite_c else None,
        "claim": ", ".join(sources) if sources else "none",
    }


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.0f} %"


def _g(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def plot_theory(entries: Sequence[dict[str, Any]], path, eps: float, title: str) -> None:
    """Rows: layers; columns: kappa estimate (log) with the claimed kappa dashed, cosine."""
    layers = sorted({l for e in entries for l in e["series"]})
    fig, axes = plt.subplots(max(1, len(layers)), 2, figsize=(10, 2.8 * max(1, len(layers))), squeeze=False,
                             sharex=True)
    from .plots import PHASE_COLOR, color_of, layer_sequence

    e = f"{eps:g}"
    phases = []  # DANTE's phases on the step axis: T passes of steps_per_pass steps each, round-robin
    dante_entry = next((ent for ent in entries if ent.get("config", {}).get("method") == "dante"
                        and ent.get("steps_per_pass")), None)
    if dante_entry is not None:
        cfg = dante_entry["config"]
        n_layers = len(str(cfg["arch"]).split("-")) - 1
        seq = layer_sequence(n_layers, str(cfg.get("layer_order", "paper")))
        t, spp, epochs = int(cfg.get("sngd_epochs") or 1), int(dante_entry["steps_per_pass"]), int(cfg["epochs"])
        phases = [(k * t * spp, min((k + 1) * t, epochs) * spp, seq[k % n_layers]) for k in range(-(-epochs // t))]
    for r, l in enumerate(layers):
        ax_k, ax_c = axes[r]
        for x0, x1, layer in phases:
            if layer % 2 == 1:
                for ax in (ax_k, ax_c):
                    ax.axvspan(x0, x1, color=PHASE_COLOR, alpha=0.08, lw=0)
        for ent in entries:
            s = ent["series"].get(l)
            if not s:
                continue
            dist = [_num(v) for v in s.get("dist", [None] * len(s["step"]))]
            keep = [i for i, d in enumerate(dist) if d is None or d > AT_REF_TOL]  # W_l = W_l*: omitted
            x = [s["step"][i] for i in keep]
            kall = s.get(f"kappa_cond2@{e}", [])
            k = [_num(kall[i]) if i < len(kall) else None for i in keep]
            pts = [(xi, ki) for xi, ki in zip(x, k) if ki is not None and math.isfinite(ki) and ki > 0]
            bad = [xi for xi, ki in zip(x, k) if ki is None or not math.isfinite(ki) or ki <= 0]
            c = color_of(ent["method"])
            if pts:
                ax_k.plot(*zip(*pts), ".", ms=3, color=c, label=f"{ent['label']} kappa_est")
            if bad:
                ax_k.plot(bad, [1e-3] * len(bad), "x", ms=3, color=c, alpha=0.5,
                          label=f"{ent['label']}: <g, W-W*> <= 0")
            call = s.get(f"claimed_kappa@{e}", [])
            cl = [(xi, _num(call[i])) for xi, i in zip(x, keep) if i < len(call) and _num(call[i]) is not None]
            if cl:
                claim = ent["layers"].get(l, {}).get(e, {}).get("claim", "?")
                ax_k.plot(*zip(*cl), "--", lw=1, color=c, label=f"{ent['label']} claimed ({claim})")
            coll = s.get("cosine", [])
            cs = [(xi, _num(coll[i])) for xi, i in zip(x, keep) if i < len(coll) and _num(coll[i]) is not None]
            if cs:
                ax_c.plot(*zip(*cs), ".", ms=3, color=c, label=ent["label"])
        ax_k.set_yscale("log")
        lo, hi = ax_k.get_ylim()
        if hi / max(lo, 1e-300) > 30:  # several decades: label the decades only
            ax_k.yaxis.set_minor_formatter(NullFormatter())
        ax_k.set_ylabel(f"layer {l}: kappa", fontsize=8)
        ax_k.set_title(f"kappa estimate at eps={e} (x at 1e-3: no finite kappa)", fontsize=8)
        ax_c.set_title("cos(g, W - W*)", fontsize=8)
        ax_c.set_ylabel(f"layer {l}: cosine", fontsize=8)
        ax_c.axhline(0, color="gray", lw=0.5)
        for ax in (ax_k, ax_c):
            if r == len(layers) - 1:
                ax.set_xlabel("iteration t (minibatch steps)", fontsize=8)
            ax.tick_params(which="both", labelsize=7)
        if ax_k.get_legend_handles_labels()[0]:  # every layer panel: its claimed kappa (if any) named
            ax_k.legend(fontsize=6)
        if r == 0:
            ax_c.legend(fontsize=6)
    if any(layer % 2 == 1 for _, _, layer in phases):
        title += "\nshaded: DANTE's phases on layer 1 (odd layers)"
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parser(NAME, __doc__.splitlines()[0], datasets=AUTO).parse_args(argv)
    cli.check_common(args)
    mode = cli.mode_of(args)
    skipped: list[str] = []
    datasets = resolve_datasets(args.datasets, args.data_dir, skipped)
    n_seeds = args.seeds or sizes.SIZES[mode]["seeds"]
    hidden = sizes.SIZES[mode]["hidden"][0] if mode == "quick" else [100]
    variants = VARIANTS[:1] + VARIANTS[2:] if mode == "quick" else VARIANTS
    settings = {"datasets": datasets, "hidden": hidden, "variants": [list(v) for v in variants],
                "seeds": list(range(n_seeds)), "eps": list(EPS), "reference": "final",
                "instrument_samples": INSTRUMENT_SAMPLES, "device": args.device, **sizes.protocol_args(mode),
                "sizes": {d: sizes.SIZES[mode][sizes.kind(d)] for d in datasets},
                "selection": "validation split 20 %; argmin of the validation loss averaged over the selection "
                "seeds; grid extended until the pick is interior"}
    rep = Report(NAME, cli.out_dir_of(args, NAME), mode, list(argv or []), settings)
    rep.set("paper", {"claim": "Theorems 3, 5, 7 (and Hazan et al. for sigmoid): each layer problem is "
                      "(eps, kappa, W*)-SLQC for the stated kappa", "dataset": "theory (no dataset)"})
    for s in skipped:
        rep.note(s)
    rows = []
    for dname in datasets:
        ds, val, size = prepare(dname, args.data_dir, mode)
        arch = sizes.arch(n_inputs(ds), list(hidden), n_outputs(ds))
        for act, loss in variants:
            entries = []
            for m in METHODS:
                base = {"arch": arch, "activation": act, "loss": loss, "epochs": size["epochs"],
                        "batch_size": size["batch_size"], "task": "classify", "device": args.device,
                        **PAPER_OUTPUT(act, loss)}
                extra = lambda seed: {"instrument": True, "reference": "final", "eps": EPS,  # noqa: E731
                                      "instrument_samples": INSTRUMENT_SAMPLES}
                res = run_setting(ds, m, base, lr_grid(m, mode, act, loss), range(n_seeds), val_ds=val,
                                  final_extra=extra, **sizes.protocol_args(mode))
                recs = [rec for run in res["runs"] for rec in run.get("instruments", [])]
                series0 = layer_series(res["runs"][0].get("instruments", []))
                per_layer = {}
                for l in sorted({l for run in res["runs"] for l in layer_series(run.get("instruments", []))}):
                    pooled = {}
                    for run in res["runs"]:
                        s = layer_series(run.get("instruments", [])).get(l, {})
                        for k, v in s.items():
                            pooled.setdefault(k, []).extend(v)
                    per_layer[l] = {f"{e:g}": layer_stats(pooled, e) for e in EPS}
                for run in res["runs"]:  # the pooled statistics replace the raw records in the JSON
                    run["n_instrument_records"] = len(run.pop("instruments", []))
                res.update(dataset=dname, arch=arch, activation=act, loss=loss, layers=per_layer,
                           n_records=len(recs), n_classes=ds.n_classes)
                rep.add(res)
                for l, st in per_layer.items():
                    for e, x in st.items():
                        rows.append([dname, f"{act}/{loss}", LABELS[m], fmt_grid(res["grid"]), l, e, x["claim"],
                                     _g(x["median_claimed"]), _g(x["median_kappa_est"]), _pct(x["inner_pos"]),
                                     _g(x["median_cosine"]), _pct(x["cond1"]), _pct(x.get("below_ref")),
                                     _pct(x["held_by_2"]), _pct(x["held"]),
                                     f"{x['n']} (+{x['n_at_reference']} at W*)"])
                entries.append({"method": m, "label": LABELS[m], "series": series0, "layers": per_layer,
                                "config": res["config"],
                                "steps_per_pass": -(-len(ds.X_train) // int(size["batch_size"]))})
                print(f"[{NAME}] {dname} {act}/{loss} {LABELS[m]}: {len(recs)} instrument records", flush=True)
            for e in EPS:
                png = rep.out_dir / f"{dname}_{act}_{loss}_eps{e:g}.png"
                plot_theory(entries, png, e, f"{dname} {arch} {act}/{loss}: seed 0, reference W* = final weights "
                            "(iterates with W_l = W_l* omitted)")
                rep.add_file("png", png)
    body = f"# {NAME}: SLQC during real training ({mode} mode)\n\n"
    body += ("Per layer problem, over the logged iterates of all seeds (reference W* = final weights of the run): "
             "the claimed kappa (median over iterates; it depends on ||W||), the measured kappa estimate "
             "eps·||g||/<g, W−W*> (median over iterates where it is finite), the share of iterates with "
             "<g, W−W*> > 0, the median cosine, the share where f − f* ≤ eps (condition 1), the share where the "
             "gradient inequality held at the claimed kappa (condition 2), and the share where Definition 4 held "
             "(1 or 2). Iterates where the layer already equals its reference (DANTE, after the layer's last phase) "
             "are left out and counted as 'at W*'. 'n/a' where the theorem makes no claim (middle layers, "
             "vacuous Theorem 5 bracket). Caveat: the theorems take W* to be the global minimizer; the final "
             "weights are only a proxy, and where f < f(W*) (column 'f < f(W*)') condition 1 holds trivially, "
             "so 'SLQC held' overstates the evidence there; 'cond. 2 at claim' is the informative column.\n\n")
    body += md_table(["dataset", "act/loss", "method", "lr grid (**pick**)", "layer", "eps", "claim",
                      "claimed kappa", "measured kappa_est", "<g,W−W*> > 0", "median cos", "cond. 1", "f < f(W*)",
                      "cond. 2 at claim", "SLQC held", "iterates"], rows) + "\n"
    if skipped:
        body += "\nSkipped: " + "; ".join(skipped) + "\n"
    rep.finish(body)
    return 0


def headlines(data: dict[str, Any]) -> list[str]:
    """Per (dataset, act/loss, method, layer): how often SLQC held at the claimed kappa and how."""
    out = []
    for r in data["results"]:
        for l, st in sorted(r.get("layers", {}).items(), key=lambda t: int(t[0])):
            hi, lo = st.get(f"{max(EPS):g}") or {}, st.get(f"{min(EPS):g}") or {}
            head = f"{r['dataset']} {r['activation']}/{r['loss']} {r['label']} layer {l}"
            if hi.get("n_with_claim"):
                out.append(
                    f"{head} ({hi['claim']}): SLQC held at {_pct(hi['held'])} (eps={max(EPS):g}) and "
                    f"{_pct(lo.get('held'))} (eps={min(EPS):g}) of {hi['n']} iterates; the gradient inequality "
                    f"alone (condition 2) at {_pct(hi['held_by_2'])} / {_pct(lo.get('held_by_2'))}; "
                    f"<g, W−W*> > 0 at {_pct(hi['inner_pos'])}; f < f(W*) (final weights not the layer minimizer, "
                    f"condition 1 trivial) at {_pct(hi.get('below_ref'))}; median measured kappa "
                    f"{_g(hi['median_kappa_est'])} vs claimed {_g(hi['median_claimed'])} (eps={max(EPS):g}).")
            else:
                out.append(f"{head}: no usable claim ({hi.get('claim', 'none')}); <g, W−W*> > 0 at "
                           f"{_pct(hi.get('inner_pos'))} of {hi.get('n')} iterates, median measured kappa "
                           f"{_g(hi.get('median_kappa_est'))} (eps={max(EPS):g}), median cosine {_g(hi.get('median_cosine'))}.")
    return out


def verdicts(data: dict[str, Any]) -> list[list[str]]:
    """The theorems' claims against the measured iterates: the output layer at the claimed kappa
    (Theorems 3, 7, the sigmoid GLM) and Theorem 5's first-layer kappa."""
    rows: list[list[str]] = []
    vac, ratios, c2 = 0, [], []
    for r in data["results"]:
        for st in r.get("layers", {}).values():
            x = st.get(f"{max(EPS):g}") or {}
            if "vacuous" in str(x.get("claim")):
                vac += 1
            if x.get("median_claimed") and x.get("median_kappa_est"):
                ratios.append(x["median_claimed"] / x["median_kappa_est"])
                c2.append(x.get("held_by_2") or 0.0)
    if ratios:
        rows.append(["Theorems 3, 7 and the sigmoid GLM: output layer is SLQC at the claimed kappa",
                     f"gradient inequality at the claimed kappa held at {100 * min(c2):.0f}-{100 * max(c2):.0f} % of "
                     f"iterates (eps = {max(EPS):g}); claimed / measured median kappa {min(ratios):.3g} to {max(ratios):.3g}",
                     "holds at most iterates (where <g, W−W*> ≤ 0 no kappa works); the claimed kappa is "
                     "larger than needed by that factor"])
    rows.append(["Theorem 5: first layer is SLQC for the stated kappa",
                 f"the kappa formula was non-positive (vacuous) in {vac} of {vac} measured first-layer problems "
                 "(leaky ReLU, MSE)" if vac else "no leaky-ReLU/MSE first layer measured",
                 "vacuous in practice" if vac else "n/a"])
    return rows


if __name__ == "__main__":
    sys.exit(cli.run(main, sys.argv[1:]))
