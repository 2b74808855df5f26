"""Column layout of the arrays the compiled bar loop reads and writes.

The loop takes a handful of plain numpy arrays rather than many arguments, so
numba compiles one signature for every strategy (one compile per process, paid
once and then cached on disk). The integer constants below name their columns;
numba folds them as compile-time globals.
"""

from __future__ import annotations

# params: one float64 vector of the policy's scalars.
P_FILL_CLOSE = 0  # 1: market orders fill at the deciding bar's close; 0: at the next open
P_ENTRY_TYPE = 1  # 0 market, 1 limit, 2 stop
P_ENTRY_OFFSET = 2  # fraction (0.01 = 1%)
P_EXPIRY = 3  # bars an unfilled entry order works
P_LADDER = 4  # number of entry orders
P_SPACING = 5  # fraction between ladder orders
P_SIZE_MODE = 6  # 0 all-in, 1 quantity, 2 cash, 3 percent of equity, 4 risk percent of equity
P_SIZE_VALUE = 7
P_COMM_PCT = 8  # fraction of notional
P_COMM_SHARE = 9
P_COMM_ORDER = 10
P_COMM_MIN = 11
P_SLIP_FRAC = 12  # fraction of price
P_SLIP_PRICE = 13  # ticks x tick size
P_SL_MODE = 14  # 0 none, 1 fraction of fill, 2 distance series (ATR x k), 3 level series (indicator)
P_SL_VALUE = 15
P_TRAIL_MODE = 16  # 0 none, 1 fraction, 2 distance series
P_TRAIL_VALUE = 17
P_BREAKEVEN = 18  # fraction in profit that moves the stop to the entry; 0 = off
P_TIME_BARS = 19  # 0 = off
P_MAX_POSITIONS = 20  # 0 = unlimited
P_MAX_EXPOSURE = 21  # fraction of equity; 0 = unlimited
P_DAILY_LOSS = 22  # fraction; 0 = off
P_MAX_DRAWDOWN = 23  # fraction; 0 = off
P_ALLOW_LONG = 24
P_ALLOW_SHORT = 25
N_PARAMS = 26

# signals: uint8 array (4, bars, symbols), decided on each bar's close.
S_ENTRY_LONG, S_EXIT_LONG, S_ENTRY_SHORT, S_EXIT_SHORT = 0, 1, 2, 3
N_SIGNALS = 4

# aux: float64 array (3, bars, symbols) of per-bar series the policy refers to.
A_ENTRY_REF = 0  # reference price of limit / stop entries
A_STOP = 1  # stop distance (mode 2) or stop level (mode 3)
A_TRAIL = 2  # trailing distance (mode 2)
N_AUX = 3

# per-symbol state (symbols, N_SYM).
Y_QTY = 0  # signed position
Y_AVG = 1  # average entry price
Y_ENTRY_BAR = 2
Y_FEES = 3  # entry fees not yet allocated to closed shares
Y_PEAK_QTY = 4  # largest absolute size of this position (take-profit fractions refer to it)
Y_EXTREME = 5  # best price since entry, through the previous bar
Y_TP_DONE = 6
Y_EXIT = 7  # pending market exit: reason code + 1, 0 = none
Y_LAST_CLOSE = 8
Y_STOP_DIST = 9  # stop distance fixed at the first fill (modes 1 and 2)
Y_TRAIL_DIST = 10
Y_ENTRY_PENDING = 11  # 1 while the ladder has working orders
Y_ENTRY_DIR = 12
Y_STOP_LEVEL = 13  # protective levels cached while they cannot move (fixed stop, no trailing / breakeven)
Y_TARGET_LEVEL = 14
Y_LEVELS_OK = 15  # 1 while the cached levels are valid (a fill invalidates them)
Y_LOT = 16  # share granularity of the symbol: 1 for whole shares, 1e-6 for fractional
N_SYM = 17

# working entry orders (symbols, ladder, N_ORD).
O_ACTIVE = 0
O_PRICE = 1  # limit / stop price; NaN for market
O_WEIGHT = 2
O_FIRST_BAR = 3
O_LAST_BAR = 4
N_ORD = 5

# account state (N_ACCT,).
C_CASH = 0
C_PEAK = 1
C_DAY = 2
C_DAY_START = 3
C_HALTED = 4
C_DAY_BLOCKED = 5
C_FILLS = 6
C_OVERFLOW = 7
C_NEXT_BAR = 8
C_EXPOSURE_EQ = 9  # equity at the previous close: the base of exposure and percent sizing
N_ACCT = 10

# fill log (capacity, N_FILL).
F_BAR = 0
F_SYMBOL = 1
F_QTY = 2  # signed change of the position
F_PRICE = 3
F_FEE = 4
F_REASON = 5
F_ENTRY_BAR = 6
F_ENTRY_PRICE = 7
F_PNL = 8  # net of this fill's fee and the share of entry fees it closes; 0 for entries
N_FILL = 9

# reasons of a fill.
R_ENTRY = 0
R_SIGNAL = 1
R_STOP_LOSS = 2
R_TAKE_PROFIT = 3
R_TRAILING = 4
R_BREAKEVEN = 5
R_TIME = 6
R_KILL_SWITCH = 7
R_DAILY_LOSS = 8
R_REVERSE = 9
R_END = 10
REASONS = (
    "entry",
    "signal",
    "stop_loss",
    "take_profit",
    "trailing_stop",
    "breakeven",
    "time",
    "kill_switch",
    "daily_loss",
    "reverse",
    "end",
)
