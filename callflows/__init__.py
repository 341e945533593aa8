"""Pure call flows for the tip line: the flow as data, the engine, TwiML, lint and graph.

No Flask, no database, no network, no clock: time and call facts come in a `Context`.
"""

from callflows.actions import Action, Dial, Gather, Hangup, Pause, Record, Say
from callflows.engine import advance, present, start
from callflows.flow import Flow, FlowError, load_flow, load_flow_text
from callflows.graph import graph
from callflows.hours import BusinessHours
from callflows.lint import LintProblem, lint
from callflows.nodes import CALLBACK_NUMBER_VAR, LANGUAGE_TAGS, Language
from callflows.prompts import PromptError, Prompts, load_prompts, load_prompts_text, spell_digits
from callflows.render import action_url, render
from callflows.state import CallState, Context, Input, Outcome, StepEvent, Turn

__all__ = [
    "CALLBACK_NUMBER_VAR",
    "LANGUAGE_TAGS",
    "Action",
    "BusinessHours",
    "CallState",
    "Context",
    "Dial",
    "Flow",
    "FlowError",
    "Gather",
    "Hangup",
    "Input",
    "Language",
    "LintProblem",
    "Outcome",
    "Pause",
    "PromptError",
    "Prompts",
    "Record",
    "Say",
    "StepEvent",
    "Turn",
    "action_url",
    "advance",
    "graph",
    "lint",
    "load_flow",
    "load_flow_text",
    "load_prompts",
    "load_prompts_text",
    "present",
    "render",
    "spell_digits",
    "start",
]
