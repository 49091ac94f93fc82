"""Personal data masking for everything the report shows or exports.

The input guard of every channel already masks messages before Rasa stores them; the report
masks again (idempotently) with the same function so that conversations stored before the guard
existed, or reaching Rasa another way, never leak phone numbers, e-mails or ID numbers.
"""
from channels.guard import mask_pii as mask_personal_data

__all__ = ["mask_personal_data"]
