"""The platforms' side of the protocols, written from their published documentation.

Independent of channels/: builds and signs the requests WeCom, WeChat and Feishu would send.
  - WeCom / WeChat "WXBizMsgCrypt": msg = random(16) + len(4, big endian) + msg + receive_id,
    PKCS#7 padded to 32 bytes, AES-256-CBC with key = b64decode(EncodingAESKey + "="), iv = key[:16];
    signature = sha1(sorted([token, timestamp, nonce, (encrypt)]) joined).
  - Feishu: AES-256-CBC, key = sha256(encrypt_key), random iv prepended, PKCS#7 to 16 bytes;
    X-Lark-Signature = sha256(timestamp + nonce + encrypt_key + body) hex.
"""

import base64
import hashlib
import json
import os
import secrets
import struct
import time
from typing import Any, Dict, Tuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def random_aes_key() -> str:
    """A 43-character EncodingAESKey as the admin console generates it."""
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def _pkcs7(data: bytes, block: int) -> bytes:
    pad = block - len(data) % block
    return data + bytes([pad]) * pad


def _aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def wx_encrypt(encoding_aes_key: str, message: str, receive_id: str) -> str:
    """Encrypts like WeCom / WeChat safe mode."""
    key = base64.b64decode(encoding_aes_key + "=")
    raw = message.encode("utf-8")
    plain = os.urandom(16) + struct.pack(">I", len(raw)) + raw + receive_id.encode("utf-8")
    return base64.b64encode(_aes_cbc(key, key[:16], _pkcs7(plain, 32))).decode()


def wx_decrypt(encoding_aes_key: str, encrypted: str) -> Tuple[str, str]:
    """Decrypts a WXBizMsgCrypt cipher text as WeChat does: (message, receive id)."""
    key = base64.b64decode(encoding_aes_key + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode("utf-8"), plain[20 + length :].decode("utf-8")


def wx_sign(*parts: str) -> str:
    """sha1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def stamp(age_seconds: int = 0) -> Tuple[str, str]:
    """A (timestamp, nonce) pair, the timestamp age_seconds in the past."""
    return str(int(time.time()) - age_seconds), str(secrets.randbelow(10**9))


def text_xml(to: str, sender: str, content: str, msg_id: str, agent_id: str = "") -> str:
    """A text message as WeCom / WeChat deliver it (decrypted form)."""
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>{agent}</xml>"
    )


def encrypted_envelope(to: str, encrypt: str) -> str:
    """The outer XML of an encrypted callback."""
    return f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"


def feishu_encrypt(encrypt_key: str, plaintext: str) -> str:
    """Encrypts an event body like Feishu does."""
    key = hashlib.sha256(encrypt_key.encode("utf-8")).digest()
    iv = os.urandom(16)
    data = _pkcs7(plaintext.encode("utf-8"), 16)
    return base64.b64encode(iv + _aes_cbc(key, iv, data)).decode()


def feishu_headers(encrypt_key: str, body: bytes, age_seconds: int = 0) -> Dict[str, str]:
    """The signature headers Feishu sends with an event."""
    timestamp, nonce = stamp(age_seconds)
    digest = hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body)
    return {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": digest.hexdigest(),
    }


def feishu_message_event(
    token: str, event_id: str, open_id: str, chat_id: str, text: str
) -> Dict[str, Any]:
    """An im.message.receive_v1 event (schema 2.0)."""
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "im.message.receive_v1",
            "create_time": str(int(time.time() * 1000)),
            "token": token,
            "app_id": "cli_test",
            "tenant_key": "tenant_test",
        },
        "event": {
            "sender": {"sender_id": {"open_id": open_id}, "sender_type": "user"},
            "message": {
                "message_id": f"om_{event_id}",
                "chat_id": chat_id,
                "chat_type": "p2p",
                "message_type": "text",
                "content": json.dumps({"text": text}, ensure_ascii=False),
            },
        },
    }
