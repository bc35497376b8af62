"""The offline intent engine's vocabulary: coin names, synonyms, word groups, and the words spelling repair aims at."""

from __future__ import annotations

# Coin names a person texts -> the base asset; the engine adds the quote currency.
COINS = {"btc": "BTC", "bitcoin": "BTC", "xbt": "BTC", "eth": "ETH", "ether": "ETH", "ethereum": "ETH",
         "sol": "SOL", "solana": "SOL", "ltc": "LTC", "litecoin": "LTC", "doge": "DOGE", "dogecoin": "DOGE",
         "xrp": "XRP", "ripple": "XRP", "ada": "ADA", "cardano": "ADA", "polkadot": "DOT", "chainlink": "LINK",
         "avax": "AVAX"}  # "dot" and "link" are English words first; they count only as universe bases

# Phone spellings and plain synonyms -> one canonical word per meaning.
SYNONYMS = {
    "u": "you", "r": "are", "ur": "your", "w": "with", "n": "and", "y": "why", "pls": "please", "plz": "please",
    "whats": "what", "hw": "how", "wats": "what", "wat": "what", "wut": "what", "hows": "how", "im": "i", "thx": "thanks",
    "didn": "didnt", "dint": "didnt", "didnt": "didnt", "havent": "didnt", "hasnt": "didnt", "wasnt": "didnt",
    "werent": "didnt", "dont": "dont", "wont": "dont", "cant": "dont", "shouldnt": "dont",
    "rsk": "risk", "bal": "balance", "balances": "balance", "cash": "cash", "funds": "balance", "wallet": "balance",
    "pos": "positions", "position": "positions", "holdings": "positions", "bags": "positions",
    "portfolio": "portfolio", "portf": "portfolio", "equity": "portfolio", "account": "portfolio",
    "overview": "portfolio", "summary": "portfolio",
    "prices": "price", "px": "price", "markets": "market", "quote": "price", "quotes": "price",
    "pnl": "pnl", "profits": "pnl", "performance": "pnl", "perf": "pnl", "earnings": "pnl", "gains": "pnl",
    "returns": "pnl", "stats": "pnl",
    "hist": "history", "trades": "trades", "fills": "trades", "fill": "trades", "traded": "trades",
    "ords": "orders",
    "state": "status", "health": "status", "mode": "status", "stat": "status",
    "resume": "start", "unpause": "start", "enable": "start", "begin": "start", "restart": "start",
    "pause": "stop", "halt": "stop", "disable": "stop", "freeze": "stop", "stopp": "stop",
    "auto": "autopilot", "pilot": "autopilot", "bot": "autopilot", "robot": "autopilot", "ap": "autopilot",
    "cxl": "cancel", "canx": "cancel", "revoke": "cancel",
    "rearm": "reset", "unlock": "reset", "clear": "reset",
    "panic": "flatten", "liquidate": "flatten", "flat": "flatten",
    "graph": "chart", "plot": "chart", "candles": "chart", "candlestick": "chart",
    "bt": "backtest", "simulate": "backtest",
    "commands": "help", "menu": "help", "halp": "help", "options": "help",
    "why": "why", "explain": "why", "reason": "why", "reasons": "why",
    "tgt": "tp", "target": "tp", "targets": "tp", "takeprofit": "tp",
    "sl": "sl", "stoploss": "sl",
    "lmt": "limit", "mkt": "market", "purchase": "buy", "dump": "dump", "grab": "buy", "scoop": "buy",
    "offload": "dump", "unload": "dump", "todays": "today", "alerts": "alert", "notifications": "alert",
    "notification": "alert", "cached": "cached", "cache": "cached", "stale": "cached",
    "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday", "weds": "wednesday",
    "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday", "sat": "saturday",
    "yday": "yesterday", "yest": "yesterday", "ystd": "yesterday", "tdy": "today", "2day": "today",
    "wk": "week", "weekly": "week", "mo": "month", "mnth": "month", "monthly": "month", "daily": "today",
    "lifetime": "alltime", "overall": "alltime", "ever": "alltime",
    "hrs": "hours", "hr": "hours", "h": "hours", "hour": "hours", "d": "days", "day": "days",
    "weeks": "week", "months": "month", "years": "year", "yr": "year",
    "everything": "everything", "evrything": "everything", "every": "all",
    "hodl": "hold", "holding": "hold", "own": "hold",
}

# Two-word phrases that mean one thing; merged after spelling repair.
BIGRAMS = {("take", "profit"): "tp", ("stop", "loss"): "sl", ("kill", "switch"): "killswitch",
           ("never", "mind"): "nevermind", ("all", "time"): "alltime", ("win", "rate"): "winrate",
           ("back", "test"): "backtest", ("autopilot", "autopilot"): "autopilot", ("did", "not"): "didnt",
           ("do", "not"): "dont", ("how", "come"): "why", ("buying", "power"): "balance",
           ("pick", "up"): "buy", ("load", "up"): "buy", ("buy", "up"): "buy", ("cash", "out"): "dump",
           ("get", "out"): "dump", ("profit", "factor"): "profitfactor", ("average", "are"): "avgr",
           ("avg", "are"): "avgr", ("are", "multiple"): "avgr", ("avgr", "multiple"): "avgr",
           ("this", "morning"): "thismorning", ("this", "afternoon"): "thisafternoon",
           ("this", "evening"): "thisevening", ("go", "ahead"): "goahead"}

BUY = frozenset({"buy"})
SELL = frozenset({"sell", "dump"})  # "dump" (offload, cash out, get out): all of it unless an amount is said
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PORTIONS = {"half": "0.5", "halve": "0.5", "quarter": "0.25", "third": "1/3"}
STATS = frozenset({"profitfactor", "avgr", "winrate", "expectancy"})
STOP_KEYS = frozenset({"stop", "sl"})
TP_KEYS = frozenset({"tp", "profit"})
START = frozenset({"start", "on", "go"})
STOP = frozenset({"stop", "off"})
NEGATIONS = frozenset({"didnt", "dont", "not", "never"})
NOTHING = frozenset({"no", "nothing", "zero", "none"})
ALL = frozenset({"all", "everything"})
PERF = frozenset({"pnl", "profit", "made", "make", "earned", "lost", "losses", "profitfactor", "avgr", "winrate"})
HISTORY = frozenset({"history", "trades"})
CLOSED = frozenset({"closed", "filled", "past", "done", "executed", "completed", "old", "history"})
STATUS = frozenset({"status", "live", "paper", "connected", "online"})
PRICE = frozenset({"price", "worth", "trading", "going", "doing", "at", "now"})
GREET = frozenset({"hi", "hey", "hello", "yo", "sup", "hiya", "howdy", "gm", "morning", "afternoon", "evening",
                   "good", "zyn", "there", "heya", "hola", "whatsup", "wassup", "thanks", "thank", "you", "ok",
                   "cool"})
PENDING_NO = frozenset({"no", "nope", "nah", "cancel", "nevermind", "nvm", "abort", "forget", "dont",
                        "scratch"})
PENDING_FILL = frozenset({"that", "it", "this", "please", "do", "thanks", "the", "order", "one", "last", "mind"})
ORDERS = frozenset({"order", "orders"})
FLATTEN_VERBS = frozenset({"sell", "close", "exit", "dump"})
TRIP = frozenset({"trip", "activate", "engage", "fire", "hit", "pull", "trigger"})
RESET = frozenset({"reset"})
QUESTION_START = frozenset({"is", "are", "was", "what", "how", "whats", "do", "does", "did"})
FILLERS = frozenset({"the", "a", "an", "my", "our", "me", "of", "for", "please", "now", "and", "to", "is", "are",
                     "what", "how", "about", "show", "give", "get", "tell", "check", "pair", "coin", "i", "we",
                     "you", "your", "zyn", "can", "could", "would", "hey", "so", "today", "right", "current",
                     "currently", "just", "quick", "pls", "thanks", "mate", "bro", "at", "doing",
                     "trading", "going", "look", "looking", "like", "on", "in", "it", "all", "then", "list",
                     "see", "view"})

# Spelling repair never produces these: short action words sit one letter from common English
# ("tell"->"sell", "will"->"kill"), and a wrong guess there would be an order.
NO_TARGET = frozenset({"sell", "buy", "dump", "kill", "reset", "long", "stats", "stat", "mode", "made", "make",
                       "lost", "loss", "fills", "fill", "auto", "pilot", "plot", "ether", "doge", "every", "ever",
                       "state", "health", "begin", "close", "exit", "flat", "clear", "worth", "candles", "menu",
                       "there", "gains", "returns", "bags", "link", "hold", "own", "holding", "quote", "quotes",
                       "done", "past", "going", "doing", "trading", "live", "paper", "online", "days", "year",
                       "hours", "hour", "week", "month", "today", "good", "thank", "thanks", "cool", "cash",
                       "halp", "that", "this", "what", "time", "last", "next", "zero", "none", "nope", "mind",
                       "order", "trade", "traded", "forget", "abort", "cant", "wont", "dont", "didn", "dint",
                       "didnt", "hasnt", "havent", "wasnt", "werent", "shouldnt", "wats", "whats", "hows", "yday",
                       "yest", "ystd", "canx", "ords", "portf", "hist", "mnth", "perf", "stopp", "heya", "hiya",
                       "hola", "avax", "fire", "pull", "trip", "halt", "never", "years", "earned", "trigger", "grab",
                       "scoop", "offload", "unload", "half", "third", "quarter", "cached", "alerts", "alert",
                       "monday", "friday", "sunday", "todays", "tick", "ticks"})

# Ordinary words one letter from a vocabulary word; they are left alone.
COMMON = frozenset("""
tell well will till bill hill mill sell self cell sale rest best test shop step slop stoop star stars smart
stare pride prize prime rice cause statue grades traces trader border older chat charm cart char disk rise
held hell helm weak seek weed mouth cancer flatter manic realm rear unable salt hall half malt case cast wash
bash dash cache mallet marker season either other finds fund more node code move mood note than that then
them they what when with were here have much many some same just like look need want know think nice okay
does into from your mine ours over under after also each only very sure time times last next soon real
post cost most past host lost ghost list mist must rust trust told cold gold bold sold fold old
spot pricey stock store stay stage slate skate stale wealth those these three where clone
chose tart""".split())

KNOWN = frozenset(SYNONYMS) | frozenset(SYNONYMS.values()) | frozenset(BIGRAMS.values()) | frozenset(COINS) | {
    w for group in (BUY, SELL, START, STOP, NEGATIONS, NOTHING, ALL, PERF, HISTORY, CLOSED, STATUS, PRICE,
                    PENDING_NO, PENDING_FILL, ORDERS, FLATTEN_VERBS, TRIP, RESET, QUESTION_START, STOP_KEYS,
                    TP_KEYS, COMMON, FILLERS, GREET, WEEKDAYS, STATS, PORTIONS) for w in group}
_TARGETS = sorted(w for w in KNOWN - COMMON - FILLERS - NO_TARGET if len(w) >= 4 and w.isalpha())
