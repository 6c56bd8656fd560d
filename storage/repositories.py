"""The repositories a unit of work hands out (one module each; gathered here)."""

from storage.audit_log import GENESIS_HASH, SqlAuditLog, chain_hash
from storage.card_messages import CardMessage, CardMessageRepository
from storage.conversations import ConversationRef, ConversationRefRepository
from storage.request_repository import OPEN_STATES, SqlRequestRepository

__all__ = [
    "GENESIS_HASH",
    "OPEN_STATES",
    "CardMessage",
    "CardMessageRepository",
    "ConversationRef",
    "ConversationRefRepository",
    "SqlAuditLog",
    "SqlRequestRepository",
    "chain_hash",
]
