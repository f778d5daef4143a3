"""Preference memories shape the feed: stated tastes pull it, negated ones push it away, and erasing them
takes their effect away at once."""

from __future__ import annotations

from collections import Counter

from memfeed.demo.data import DemoDataset
from tests.api.routes.test_feed import category_of, likes
from tests.conftest import Api


def remember(api: Api, user: str, text: str, kind: str = "preference") -> dict:
    r = api.client.post(f"/v1/users/{user}/memories", json={"text": text, "kind": kind}, headers=api.admin)
    assert r.status_code in (200, 201), r.text
    return r.json()["memory"]


def topics_of(api: Api, demo: DemoDataset, user: str, limit: int = 10) -> Counter[str]:
    categories = category_of(demo)
    return Counter(categories[i["item_id"]] for i in api.feed(user, limit=limit)["items"])


def test_a_new_user_who_only_said_they_love_space_news_gets_a_space_feed(
    demo_api: Api, demo_data: DemoDataset
) -> None:
    before = demo_api.feed("stargazer", limit=10)
    remember(demo_api, "stargazer", "I love space news")
    after = demo_api.feed("stargazer", limit=10)
    space = sum(category_of(demo_data)[i["item_id"]] == "space" for i in after["items"])
    assert space >= 7, [i["title"] for i in after["items"]]
    assert sum(category_of(demo_data)[i["item_id"]] == "space" for i in before["items"]) <= 2
    assert any(i["reason"] == "because you said: I love space news" for i in after["items"])


def test_facts_do_not_shape_the_feed(demo_api: Api, demo_data: DemoDataset) -> None:
    remember(demo_api, "fact-only", "I love space news", kind="fact")
    assert topics_of(demo_api, demo_data, "fact-only")["space"] <= 2


def test_a_negated_preference_pushes_a_topic_out(demo_api: Api, demo_data: DemoDataset) -> None:
    football = [i.item_id for i in demo_data.items if i.category == "football"][:4]
    space = [i.item_id for i in demo_data.items if i.category == "space"][:4]
    demo_api.send(likes("mixed-fan", football + space))
    before = topics_of(demo_api, demo_data, "mixed-fan", 20)
    remember(demo_api, "mixed-fan", "I don't like football")
    after = topics_of(demo_api, demo_data, "mixed-fan", 20)
    assert before["football"] >= 5, before
    assert after["football"] <= before["football"] // 2, (before, after)
    assert after["space"] > before["space"], (before, after)


def test_activity_outweighs_one_statement_as_it_grows(demo_api: Api, demo_data: DemoDataset) -> None:
    """One preference counts as `feed_preference_weight` likes: it dominates a short history, not a long one."""
    cooking = [i.item_id for i in demo_data.items if i.category == "cooking"]
    shares = []
    for n in (1, 8):
        user = f"cook-{n}"
        demo_api.send(likes(user, cooking[:n]))
        remember(demo_api, user, "I love space news")
        shares.append(topics_of(demo_api, demo_data, user, 20)["space"])
    assert shares[0] > shares[1] > 0, shares


def test_deleting_a_preference_takes_its_effect_away(demo_api: Api, demo_data: DemoDataset) -> None:
    memory = remember(demo_api, "changed-mind", "I love space news")
    assert topics_of(demo_api, demo_data, "changed-mind")["space"] >= 7
    r = demo_api.client.delete(
        f"/v1/users/changed-mind/memories/{memory['memory_id']}", headers=demo_api.admin
    )
    assert r.status_code == 204
    assert topics_of(demo_api, demo_data, "changed-mind")["space"] <= 2
