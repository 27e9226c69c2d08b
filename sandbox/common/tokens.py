"""RS256 signing keys of the sandbox's identity stores: generate, keep as PEM, sign, verify, publish as JWK."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class SigningKey:
    """A realm's RSA key pair (kept as key objects: parsing PEM on every use is slow)."""

    kid: str
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid=secrets.token_hex(8), private_key=key, public_key=key.public_key())

    @classmethod
    def from_pem(cls, kid: str, pem: str) -> Self:
        private_key = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(private_key, rsa.RSAPrivateKey)
        return cls(kid=kid, private_key=private_key, public_key=private_key.public_key())

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def public_der_b64(self) -> str:
        """The public key as Keycloak's realm endpoint shows it (base64 SubjectPublicKeyInfo, no PEM armour)."""
        der = self.public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def jwk(self) -> dict[str, Any]:
        numbers = self.public_key.public_numbers()
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": _b64_uint(numbers.n),
            "e": _b64_uint(numbers.e),
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})

    def verify(self, token: str, **options: Any) -> dict[str, Any]:
        """The claims of a token this key signed; raises ``jwt.PyJWTError`` (``ExpiredSignatureError`` included)."""
        return jwt.decode(token, self.public_key, algorithms=["RS256"], **options)
