"""What a chat robot is sent: 企业微信 markdown, 钉钉 actionCard, 飞书 interactive card, or plain text. Pure.

A group message is the template's subject and body and, when the node has a public address, one link: the
notice, or for a reminder the notice's 报送情况 (``#completeness`` on the issuer's notice page), as the card's
button (markdown link on 企业微信, whose robots have no buttons). The provider is the admin's choice on the
channels page, or read from the webhook's host; a host that is none of the three gets plain JSON text
(``{"msgtype": "text"}``, the shape 企业微信 and 钉钉 share), as before cards.
"""

from urllib.parse import urlsplit

PROVIDERS = ("wecom", "dingtalk", "feishu", "text")
PROVIDER_LABELS = {
    "auto": "按地址自动识别",
    "wecom": "企业微信",
    "dingtalk": "钉钉",
    "feishu": "飞书",
    "text": "纯文本",
}

# Answers of a robot that mean "too many messages, later" (企业微信 45009; 钉钉 130101, after which it stays
# blocked for ten minutes; 飞书 9499 and 11232): the message waits, it is never failed for it.
RATE_LIMITED_CODES = frozenset({45009, 130101, 9499, 11232})


def provider_of(setting: str | None, url: str | None) -> str:
    if setting and setting != "auto":
        return setting
    host = urlsplit(url or "").hostname or ""
    if host.endswith("weixin.qq.com"):
        return "wecom"
    if host.endswith("dingtalk.com"):
        return "dingtalk"
    if host.endswith(("feishu.cn", "larksuite.com")):
        return "feishu"
    return "text"


def link_label(cause: str) -> str:
    return "查看报送情况" if cause.startswith("deadline.") else "查看通知"


def _without_link(body: str, link: str) -> str:
    """The body without lines that only show the link (templates end with ``查看：<url>``): the card has a button."""
    page = link.split("#", 1)[0]
    lines = [line for line in body.split("\n") if not (page and page in line and len(line) - len(page) <= 12)]
    return "\n".join(lines).strip()


def payload(provider: str, subject: str, body: str, link: str | None = None, label: str | None = None) -> dict:
    """The JSON to post to the robot's webhook."""
    label = label or "查看"
    if provider not in ("wecom", "dingtalk", "feishu"):
        text = f"{subject}\n{body}" if subject else body
        if link and link not in text:
            text = f"{text}\n{label}：{link}"
        return {"msgtype": "text", "text": {"content": text}}
    body = _without_link(body, link) if link else body
    title = subject or body.split("\n", 1)[0][:30]
    if provider == "wecom":
        quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
        content = f"**{title}**\n{quoted}" + (f"\n\n[{label}]({link})" if link else "")
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if provider == "dingtalk":
        # 钉钉's markdown needs a blank line to break one.
        text = f"### {title}\n\n" + "\n\n".join(line for line in body.split("\n") if line)
        if link:
            card = {"title": title, "text": text, "btnOrientation": "0", "singleTitle": label, "singleURL": link}
            return {"msgtype": "actionCard", "actionCard": card}
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    elements: list[dict] = [{"tag": "div", "text": {"tag": "lark_md", "content": body}}]
    if link:
        button = {"tag": "button", "text": {"tag": "plain_text", "content": label}, "type": "primary", "url": link}
        elements.append({"tag": "action", "actions": [button]})
    header = {"title": {"tag": "plain_text", "content": title}, "template": "blue"}
    return {
        "msg_type": "interactive",
        "card": {"config": {"wide_screen_mode": True}, "header": header, "elements": elements},
    }
