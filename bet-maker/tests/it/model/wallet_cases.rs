//! The cases of the model-based test with accounts: the projection's cases, with steps of
//! money shuffled in.

use proptest::prelude::*;

use super::cases::{History, Step, case};

/// Accounts in a case.
pub const ACCOUNTS: usize = 2;

/// A step of the case: one of the projection's, or one of money.
#[derive(Debug, Clone)]
pub enum Money {
    Projection(Step),
    Deposit {
        account: usize,
        amount: i64,
    },
    Withdraw {
        account: usize,
        amount: i64,
    },
    Bet {
        account: usize,
        event: usize,
        amount: i64,
    },
    Read {
        account: usize,
    },
    /// Let the payout worker run until nothing is unpaid.
    Pay,
}

/// A case: histories, their deliveries and anonymous bets, and steps of money, shuffled.
pub fn wallet_case() -> impl Strategy<Value = (Vec<History>, Vec<Money>)> {
    case().prop_flat_map(|(histories, steps)| {
        let events = histories.len();
        let money = prop::collection::vec(
            prop_oneof![
                2 => (0..ACCOUNTS, 1_i64..40)
                    .prop_map(|(account, amount)| Money::Deposit { account, amount }),
                1 => (0..ACCOUNTS, 1_i64..20)
                    .prop_map(|(account, amount)| Money::Withdraw { account, amount }),
                3 => (0..ACCOUNTS, 0..events, 1_i64..8).prop_map(|(account, event, amount)| {
                    Money::Bet {
                        account,
                        event,
                        amount,
                    }
                }),
                3 => (0..ACCOUNTS).prop_map(|account| Money::Read { account }),
                1 => Just(Money::Pay),
            ],
            8..24,
        );
        (Just(histories), Just(steps), money).prop_flat_map(|(histories, steps, money)| {
            let mut all: Vec<Money> = steps.into_iter().map(Money::Projection).collect();
            all.extend(money);
            (Just(histories), Just(all).prop_shuffle())
        })
    })
}
