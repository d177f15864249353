"""Local generator backend: a Hugging Face causal LM folder, greedy or sampled, on the CPU."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from strata.core.settings import ModelSettings
from strata.models.backends.base import ChatMessage, Generation
from strata.models.backends.quiet import quiet_transformers
from strata.models.records import ModelRecord


class LocalGenerator:
    """A causal LM loaded from safetensors with its tokenizer."""

    def __init__(self, folder: Path) -> None:
        quiet_transformers()
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model: Any = AutoModelForCausalLM.from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True
        )
        self.model.train(False)

    def _prompt(self, messages: Sequence[ChatMessage]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            chat = [{"role": m.role, "content": m.content} for m in messages]
            text: str = self.tokenizer.apply_chat_template(
                chat, tokenize=False, add_generation_prompt=True
            )
            return text
        return "\n".join(m.content for m in messages)

    def generate(
        self, messages: Sequence[ChatMessage], *, max_new_tokens: int, temperature: float = 0.0
    ) -> Generation:
        """Generate a continuation of the chat; greedy when temperature is 0."""
        inputs = self.tokenizer(self._prompt(messages), return_tensors="pt")
        prompt_len = int(inputs["input_ids"].shape[1])
        pad = self.tokenizer.pad_token_id or self.tokenizer.eos_token_id or 0
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {}
        )
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=inputs["input_ids"],
                attention_mask=inputs["attention_mask"],
                max_new_tokens=max_new_tokens,
                pad_token_id=pad,
                **sampling,
            )
        new_tokens = output[0][prompt_len:]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        finish = "length" if len(new_tokens) >= max_new_tokens else "stop"
        return Generation(text, prompt_len, len(new_tokens), finish)


def load(record: ModelRecord, settings: ModelSettings) -> LocalGenerator:
    """Entry point of `strata.models.backends: transformers-causal-lm`."""
    return LocalGenerator(Path(record.uri))
