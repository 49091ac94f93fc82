"""Custom Rasa input channels: messaging apps (WeCom, Feishu, WeChat OA) and the help-site page."""
