"""The printed rows of ``ignite-gen evaluate``: each score with what it means."""

from __future__ import annotations

__all__ = ["score_rows"]


def score_rows(result: dict[str, object]) -> list[tuple[str, str, str]]:
    """``(name, value, note)`` for each score of ``result`` that ``evaluate`` prints."""
    if "predictor_accuracy" in result:
        note = "(the fraction of held-out digits it reads right)"
        return [("predictor_accuracy", f"{result['predictor_accuracy']:.4f}", note)]
    rows = [("fid", f"{result['fid']:.4f}", "(lower is better)")]
    if "floor_fid" in result:
        note = "(real training vs held-out images)"
        rows.append(("floor fid", f"{result['floor_fid']:.4f}", note))
    rows += [
        ("is", f"{result['is']:.4f}", "(at most 10)"),
        ("coverage", f"{result['coverage']}/10 digits", "(each >= 1% of samples)"),
        ("kl_uniform", f"{result['kl_uniform']:.4f}", "(0 = every digit equally often)"),
    ]
    settings = result.get("settings", {})
    assert isinstance(settings, dict)
    notes = {
        "conditional_accuracy": "{n_per_class} per label, seed {seed}: the asked digit read",
        "style_transfer": "{images} held-out digits, seed {seed}: the new label read",
        "code_purity": "{n_per_code} per code value, seed {seed}: best code-to-digit map",
    }
    for metric, note in notes.items():
        if metric in result:
            rows.append((metric, f"{result[metric]:.4f}", f"({note.format(**settings[metric])})"))
    return rows
