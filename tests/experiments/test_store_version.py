"""A store's version changes with every change a runs table shows, on a real SQLite store."""

from __future__ import annotations

from experiments import train
from experiments.store_version import store_version


def test_the_version_follows_runs_metrics_tags_and_names(tracking_uri, client, make_spec,
                                                          experiment_name):
    run = train(make_spec("xor", epochs=3), experiment=experiment_name, log_model=False)
    seen = [store_version(tracking_uri)]
    assert seen[0] is not None and seen[0] == store_version(tracking_uri)  # nothing changed
    changes = [
        lambda: train(make_spec("xor", epochs=2), experiment=experiment_name, log_model=False),
        lambda: client.log_metric(run.run_id, "extra", 1.0, step=1),
        lambda: client.set_tag(run.run_id, "note", "looked at"),
        lambda: client.update_run(run.run_id, name="renamed"),
        lambda: client.delete_run(run.run_id),
        lambda: client.restore_run(run.run_id),
    ]
    for change in changes:
        change()
        seen.append(store_version(tracking_uri))
        assert seen[-1] != seen[-2]
    # Restoring brings back what the table showed before the delete, and the same version.
    assert seen[-1] == seen[-3]


def test_a_store_that_cannot_say_gives_none(tmp_path):
    assert store_version("http://127.0.0.1:9") is None               # a tracking server
    assert store_version(f"sqlite:///{tmp_path / 'none.db'}") is None  # no MLflow tables
