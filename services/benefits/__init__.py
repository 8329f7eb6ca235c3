"""The benefits service 优抚: entitlements, the card, offers, condolence visits and hardship relief."""
