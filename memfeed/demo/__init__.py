"""The generated demo catalog and simulated users, and seeding them through the real services."""
