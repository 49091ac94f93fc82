"""The support-request form, split by concern.

``reading`` only reads what a message says for each slot (entities, free text, negations,
corrections); ``validation`` is the one ``FormValidationAction`` (``validate_<slot>`` per slot, a
failure counter, acknowledgements); ``summary`` shows the request and applies corrections to it;
``submission`` saves it and says where to send it; ``questions`` asks for each slot. Facts come
from ``knowledge/guide.yml`` (``request_form:``), words users say from ``parsing/vocabulary.yml``,
the wording from ``knowledge/replies.yml`` (``form_*`` keys).
"""
