"""The pipelines as a deal list reads them: their order, their stages' order, and each
stage's win probability.

``tcrm deal list`` sorts deals by pipeline and stage and shows each one's probability.
It is answered two ways: through the settings model (``tcrm.services.deals``) and, before
pydantic is imported, from what the local index keeps of the settings
(``tcrm.cli.early_path``). Both read the pipelines through ``Flows``, made from the
settings (``flows_of``) or from that kept copy (``Flows.kept``), so they order and weigh
deals alike. The standard library only, on purpose.
"""

from __future__ import annotations

from tcrm.model.value import Value

TYPE_CHECKING = False  # no typing at run time: a script's loop of ``deal list`` pays it
if TYPE_CHECKING:
    from typing import Any, Protocol

    from tcrm.model.settings import Settings

    class Staged(Protocol):
        """What the order and the probability read of a deal (``Deal``, an index row)."""

        @property
        def id(self) -> str: ...
        @property
        def pipeline(self) -> str: ...
        @property
        def stage(self) -> str: ...
        @property
        def status(self) -> str: ...
        @property
        def probability(self) -> int | None: ...


def chance(status: str, own: int | None, stage: int | None) -> int:
    """A deal's win probability (percent): won weighs 100 and lost 0; an open deal its own
    probability when it has one, else its stage's (0 for a stage the settings lack)."""
    if status == "won":
        return 100
    if status == "lost":
        return 0
    if own is not None:
        return own
    return stage if stage is not None else 0


Pipeline = tuple[str, tuple[tuple[str, int], ...]]
"""A pipeline's id and its stages in order, each ``(id, probability)``."""


class Flows(Value):
    """The workspace's pipelines in order (``Pipeline``); the first of an id is the one
    found, as ``Settings.pipeline`` finds it."""

    __match_args__ = ("pipelines",)
    __slots__ = __match_args__

    def __init__(self, pipelines: tuple[Pipeline, ...]) -> None:
        self.pipelines = pipelines

    @classmethod
    def kept(cls, value: Any) -> Flows | None:
        """``Flows`` from what ``flows_of`` wrote (as JSON: lists); ``None`` for anything
        not shaped as it writes it."""
        if not isinstance(value, list):
            return None
        pipelines: list[Pipeline] = []
        for entry in value:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
                return None
            stages = entry[1]
            if not isinstance(stages, list):
                return None
            for stage in stages:
                if not (isinstance(stage, list) and len(stage) == 2 and isinstance(stage[0], str)):
                    return None
                if not isinstance(stage[1], int) or isinstance(stage[1], bool):
                    return None
            pipelines.append((entry[0], tuple((s, p) for s, p in stages)))
        return cls(tuple(pipelines))

    def _stages(self, pipeline_id: str) -> tuple[tuple[str, int], ...] | None:
        for found, stages in self.pipelines:
            if found == pipeline_id:
                return stages
        return None

    def has(self, pipeline_id: str) -> bool:
        return self._stages(pipeline_id) is not None

    def stage_ids(self, pipeline_id: str | None = None) -> list[str]:
        """The stages of a pipeline the settings have, in order; of every pipeline, one
        after the other (repeats kept), without one."""
        if pipeline_id is None:
            return [s for _, stages in self.pipelines for s, _ in stages]
        return [s for s, _ in self._stages(pipeline_id) or ()]

    def probability(self, deal: Staged) -> int:
        """``chance`` of the deal, with its stage's probability from these pipelines."""
        stage = None
        for found, odds in self._stages(deal.pipeline) or ():
            if found == deal.stage:
                stage = odds
                break
        return chance(deal.status, deal.probability, stage)

    def order_key(self, deal: Staged) -> tuple[int, int, str]:
        """Pipelines in the settings' order (unknown ones last), then stages in their
        pipeline's order (unknown ones last), then ids."""
        ids = [p for p, _ in self.pipelines]
        stages = self.stage_ids(deal.pipeline)
        return (
            ids.index(deal.pipeline) if deal.pipeline in ids else len(ids),
            stages.index(deal.stage) if deal.stage in stages else len(stages),
            deal.id,
        )


def flows_of(settings: Settings) -> list[Any]:
    """The pipelines of the settings as JSON (kept in the index; ``Flows.kept`` reads it)."""
    return [[p.id, [[s.id, s.probability] for s in p.stages]] for p in settings.pipelines]


def from_settings(settings: Settings) -> Flows:
    found = Flows.kept(flows_of(settings))
    assert found is not None  # flows_of writes what kept reads
    return found
