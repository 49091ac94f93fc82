"""Signature checks and AES decryption shared by the WeCom, WeChat OA and Feishu channels.

WeCom (企业微信) and WeChat Official Account safe mode use the same "WXBizMsgCrypt" scheme:
  - signature = sha1 of the sorted concatenation of token, timestamp, nonce (and the cipher text);
  - AES-256-CBC with key = base64decode(EncodingAESKey + "="), iv = key[:16], PKCS#7 padding to
    a 32-byte block; plaintext = 16 random bytes + 4-byte big-endian length + message + receive id
    (the corp id for WeCom, the app id for the Official Account).
Feishu/Lark encrypts events with AES-256-CBC, key = sha256(encrypt key), iv = the first 16 bytes of
the decoded cipher text, PKCS#7 padding; its request signature is
sha256(timestamp + nonce + encrypt key + raw body) in the X-Lark-Signature header.
"""

import base64
import binascii
import hashlib
import hmac
import os
import struct
from typing import Iterable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

WX_BLOCK_SIZE = 32
AES_BLOCK_SIZE = 16


class CryptoError(ValueError):
    """A signature or cipher text that does not verify."""


def same(expected: str, given: str) -> bool:
    """Compares two secrets in constant time."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def wx_signature(parts: Iterable[str]) -> str:
    """WeChat/WeCom signature: sha1 over the lexicographically sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    if not data or len(data) % AES_BLOCK_SIZE:
        raise CryptoError("cipher text is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _aes_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _pad(data: bytes, block_size: int) -> bytes:
    pad = block_size - len(data) % block_size
    return data + bytes([pad]) * pad


def _unpad(data: bytes, block_size: int) -> bytes:
    pad = data[-1] if data else 0
    if not 1 <= pad <= block_size or data[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad PKCS#7 padding")
    return data[:-pad]


def wx_aes_key(encoding_aes_key: str) -> bytes:
    """Turns a 43-character EncodingAESKey into the 32-byte AES key."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as error:
        raise CryptoError("EncodingAESKey is not base64") from error
    if len(key) != 32:
        raise CryptoError("EncodingAESKey must decode to 32 bytes")
    return key


def wx_decrypt(encoding_aes_key: str, encrypted: str, receive_id: str) -> str:
    """Decrypts a WXBizMsgCrypt cipher text and checks that it was meant for receive_id."""
    key = wx_aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted, validate=True)
    except binascii.Error as error:
        raise CryptoError("cipher text is not base64") from error
    plain = _unpad(_aes_cbc_decrypt(key, key[:16], data), WX_BLOCK_SIZE)
    if len(plain) < 20:
        raise CryptoError("plaintext too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, owner = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or not same(receive_id, owner.decode("utf-8", "replace")):
        raise CryptoError("message was not encrypted for this receiver")
    return message.decode("utf-8")


def wx_encrypt(encoding_aes_key: str, message: str, receive_id: str) -> str:
    """Encrypts a reply the WXBizMsgCrypt way (safe-mode passive replies)."""
    key = wx_aes_key(encoding_aes_key)
    raw = message.encode("utf-8")
    plain = os.urandom(16) + struct.pack(">I", len(raw)) + raw + receive_id.encode("utf-8")
    return base64.b64encode(_aes_cbc_encrypt(key, key[:16], _pad(plain, WX_BLOCK_SIZE))).decode()


def feishu_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """Feishu/Lark request signature (X-Lark-Signature)."""
    digest = hashlib.sha256()
    digest.update((timestamp + nonce + encrypt_key).encode("utf-8") + body)
    return digest.hexdigest()


def feishu_decrypt(encrypt_key: str, encrypted: str) -> str:
    """Decrypts the "encrypt" field of a Feishu/Lark event."""
    key = hashlib.sha256(encrypt_key.encode("utf-8")).digest()
    try:
        data = base64.b64decode(encrypted, validate=True)
    except binascii.Error as error:
        raise CryptoError("cipher text is not base64") from error
    if len(data) < 2 * AES_BLOCK_SIZE:
        raise CryptoError("cipher text too short")
    plain = _unpad(_aes_cbc_decrypt(key, data[:16], data[16:]), AES_BLOCK_SIZE)
    return plain.decode("utf-8")
