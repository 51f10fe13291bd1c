"""The CLI's progress displays: rich bars on a terminal, plain lines in a log."""

from __future__ import annotations

import io

from experiments.progress import EpochProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _drive(stream: io.StringIO, epochs: int = 50) -> str:
    bar = EpochProgress(stream)
    bar.begin(epochs)
    for epoch in range(1, epochs + 1):
        bar.update(epoch, {"train_loss": 1.0 / epoch, "val_accuracy": 0.5, "other": 3.0},
                   force=epoch == epochs)
    bar.close()
    return stream.getvalue()


def test_a_log_gets_a_line_at_every_tenth_and_the_last_epoch():
    lines = _drive(io.StringIO()).splitlines()
    assert len(lines) == 11                # the first epoch, then every tenth
    assert lines[0].startswith("epoch  1/50 [#...")
    assert lines[1].startswith("epoch  5/50 [###")
    assert lines[-1].startswith("epoch 50/50 [############################] 100%")
    assert "train_loss 0.02  val_acc 0.5" in lines[-1] and "other" not in lines[-1]
    assert "\x1b[" not in "".join(lines)  # no terminal escapes in a log


def test_a_terminal_gets_a_rich_bar_redrawn_in_place():
    out = _drive(_Terminal())
    assert "━" in out                      # rich's bar
    assert "50/50" in out and "train_loss 0.02" in out
    assert "\x1b[" in out                  # cursor movement: redrawn, not appended
    assert out.count("\nepoch ") < 5
