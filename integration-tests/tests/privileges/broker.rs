//! Each service's broker user, with the permissions `definitions.json` gives it, does what its
//! service needs and no more: bet-maker's may not publish to `line.events`.

use lapin::BasicProperties;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use shared_messages::Topology;

use crate::{broker_as, permissions, rabbitmqctl};

fn is_access_refused(error: &lapin::Error) -> bool {
    format!("{error:?}").contains("ACCESS_REFUSED") || error.to_string().contains("ACCESS_REFUSED")
}

#[tokio::test]
async fn each_service_s_broker_user_does_only_what_it_needs() {
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let vhost = format!("test-privileges-{id}");
    let users = [
        ("line-provider", format!("test-lp-{id}")),
        ("bet-maker", format!("test-bm-{id}")),
    ];
    rabbitmqctl(&["add_vhost", &vhost]);
    for (service, user) in &users {
        rabbitmqctl(&["add_user", user, user]);
        let [configure, write, read] = permissions(service);
        rabbitmqctl(&[
            "set_permissions",
            "-p",
            &vhost,
            user,
            &configure,
            &write,
            &read,
        ]);
    }
    let outcome = tokio::spawn({
        let (vhost, lp, bm) = (vhost.clone(), users[0].1.clone(), users[1].1.clone());
        async move {
            let topology = Topology::default();
            // line-provider declares the whole topology and publishes to its exchange.
            let lp = broker_as(&vhost, &lp).await;
            let channel = lp.create_channel().await.unwrap();
            topology
                .declare(&channel)
                .await
                .expect("line-provider declares the topology");
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            channel
                .basic_publish(
                    topology.exchange.as_str().into(),
                    "event.created".into(),
                    BasicPublishOptions::default(),
                    b"{}",
                    BasicProperties::default(),
                )
                .await
                .unwrap()
                .await
                .expect("line-provider publishes to line.events");
            // bet-maker declares it too and consumes its queue...
            let bm = broker_as(&vhost, &bm).await;
            let channel = bm.create_channel().await.unwrap();
            topology
                .declare(&channel)
                .await
                .expect("bet-maker declares the topology");
            channel
                .basic_consume(
                    topology.queue.as_str().into(),
                    "bet-maker".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .expect("bet-maker consumes its queue");
            // ... but cannot publish to line.events.
            let channel = bm.create_channel().await.unwrap();
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            let published = match channel
                .basic_publish(
                    topology.exchange.as_str().into(),
                    "event.finished".into(),
                    BasicPublishOptions::default(),
                    b"{}",
                    BasicProperties::default(),
                )
                .await
            {
                Ok(confirm) => confirm.await.map(|_| ()),
                Err(error) => Err(error),
            };
            let refused = published.expect_err("bet-maker may not publish to line.events");
            assert!(is_access_refused(&refused), "{refused:?}");
        }
    })
    .await;
    for (_, user) in &users {
        rabbitmqctl(&["delete_user", user]);
    }
    rabbitmqctl(&["delete_vhost", &vhost]);
    outcome.unwrap();
}
