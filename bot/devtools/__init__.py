"""Developer tools: the terminal chat, the WeChat platform simulator, process helpers.

Tests and benchmarks import them; nothing the assistant runs in production does.
"""
