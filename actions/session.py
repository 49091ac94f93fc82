"""`action_session_start`: Rasa's session start, plus role/device/language from channel metadata.

The channel's metadata (`customData.role`, `.device`, `.language`; the socket.io channel passes
`customData` itself) describes who is chatting and from where. It is read once, when the session
starts, instead of by a custom slot mapping that called the action server on every message.
Metadata only fills a slot that is still empty after the carried-over slots, and what the user
says in the first message (an entity) is applied after this action, so it still wins.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guidance import DEVICES, ROLES
from actions.knowledge import LANGUAGES

METADATA_SLOTS = (("role", ROLES), ("device", DEVICES), ("language", LANGUAGES))


def metadata_value(metadata: Any, key: str, allowed: Sequence[str]) -> Optional[str]:
    """`customData.<key>` (or `<key>`) of a channel's metadata, when it is an allowed value."""
    if not isinstance(metadata, dict):
        return None
    for source in (metadata.get("customData"), metadata):
        if isinstance(source, dict) and source.get(key) in allowed:
            return str(source[key])
    return None


class ActionSessionStart(Action):
    """Starts a session as Rasa does (slots carried over), then fills slots from the metadata."""

    def name(self) -> Text:
        return "action_session_start"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        carried: Dict[Text, Any] = {}
        if domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            carried = {key: value for key, value in tracker.slots.items() if value is not None}
            events.extend(SlotSet(key, value) for key, value in carried.items())
        metadata = tracker.get_slot("session_started_metadata")
        for slot, allowed in METADATA_SLOTS:
            value = metadata_value(metadata, slot, allowed)
            if value and carried.get(slot) is None:
                events.append(SlotSet(slot, value))
        events.append(ActionExecuted("action_listen"))
        return events
