//! bet-maker: takes bets on the events line-provider publishes, and settles them.
//!
//! Not built yet: this binary exists so the workspace has its final shape.

fn main() {}
