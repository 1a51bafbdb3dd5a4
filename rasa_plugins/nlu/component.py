"""Shared plumbing for Balie's rule-based Rasa components."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin


class RuleBasedExtractor(GraphComponent, EntityExtractorMixin):
    """An entity extractor that needs no training and no stored state."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleBasedExtractor:
        return cls()
