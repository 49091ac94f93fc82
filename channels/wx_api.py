"""Answer checking shared by the WeCom and WeChat Official Account APIs (same error scheme)."""

from typing import Any, Dict, Text

from channels.common import PlatformApi, PlatformApiError

# invalid credential, invalid access_token, access_token expired
WX_TOKEN_ERRORS = {40001, 40014, 42001}


class WxApi(PlatformApi):
    """A Tencent API: answers carry `errcode` (0 or absent on success)."""

    def _check(self, answer: Dict[Text, Any]) -> None:
        code = answer.get("errcode", 0)
        if code:
            raise PlatformApiError(
                f"API error {code}: {answer.get('errmsg', '')}",
                code=int(code),
                token_expired=code in WX_TOKEN_ERRORS,
            )
